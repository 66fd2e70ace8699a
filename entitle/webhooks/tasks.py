"""The webhooks' tasks: fan a committed change out to the endpoints, and make each attempt."""

from datetime import datetime

from django_tasks import task

from entitle.webhooks import services


def queue_attempt(delivery_id: int, attempt: int, manual: bool, run_after: datetime | None) -> None:
    """Queue an attempt of a delivery, now or after a pause (the services call this inside the
    transaction that makes it due, so the row and its task commit together)."""
    queued = deliver if run_after is None else deliver.using(run_after=run_after)
    queued.enqueue(delivery_id=delivery_id, attempt=attempt, manual=manual)


@task()
def fan_out(*, audit_event_ids: list[int]) -> int:
    """Make the deliveries of the changes one transaction committed (safe to run twice)."""
    return len(services.deliveries_create(audit_event_ids=audit_event_ids, queue=queue_attempt))


@task()
def deliver(*, delivery_id: int, attempt: int, manual: bool = False) -> str:
    """Make one attempt of a delivery (safe to run twice: only the attempt whose turn it is)."""
    return services.delivery_attempt(
        delivery_id=delivery_id, attempt=attempt, manual=manual, queue=queue_attempt
    )
