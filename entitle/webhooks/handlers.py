"""The webhooks' reaction to every audited change (subscribed in `WebhooksConfig.ready()`)."""

from django.db import transaction

from entitle.core.events import AuditRecorded
from entitle.core.models import AuditEvent
from entitle.webhooks import catalogue, services, tasks


class FanOutOnCommit:
    """The audit events of one transaction that some webhook event type tells of, fanned out
    by one task once the transaction commits. Inside the transaction this costs no query.

    An event recorded in a savepoint that rolls back stays in the list, but its row is gone:
    the fan-out reads each event by id and skips those that are not there."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def __call__(self) -> None:
        # The ids are known by now (a batch of audit events is written at its end).
        ids = [event.pk for event in self.events if event.pk is not None]
        if ids and services.webhooks_in_use():
            tasks.fan_out.enqueue(audit_event_ids=ids)


def on_audit(recorded: AuditRecorded) -> None:
    event = recorded.event
    if catalogue.event_type_of(event.action, event.after) is None:
        return
    connection = transaction.get_connection()
    # Django keeps the transaction's on-commit callbacks here, dropping those of savepoints
    # rolled back: the transaction's batch, if it has one, is among them.
    batch = next(
        (
            callback
            for _, callback, _ in reversed(connection.run_on_commit)
            if isinstance(callback, FanOutOnCommit)
        ),
        None,
    )
    if batch is None or not connection.in_atomic_block:
        batch = FanOutOnCommit()
        batch.events.append(event)
        transaction.on_commit(batch, robust=True)
    else:
        batch.events.append(event)
