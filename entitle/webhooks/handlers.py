"""The webhooks' reaction to every audited change (subscribed in `WebhooksConfig.ready()`)."""

from functools import partial

from django.db import transaction

from entitle.core.events import AuditRecorded
from entitle.core.models import AuditEvent
from entitle.webhooks import catalogue, services, tasks


def on_audit(recorded: AuditRecorded) -> None:
    """A change that some webhook tells of is fanned out by the task worker once it commits:
    inside the change's transaction this costs no query at all."""
    event = recorded.event
    if catalogue.event_type_of(event.action, event.after) is not None:
        transaction.on_commit(partial(_fan_out, event), robust=True)


def _fan_out(event: AuditEvent) -> None:
    # The event's id is known by now (a batch of audit events is written at its end).
    if services.webhooks_in_use():
        tasks.fan_out.enqueue(audit_event_id=event.pk)
