"""What core tells the apps above it (see `entitle.core.hooks`)."""

from dataclasses import dataclass

from entitle.core.hooks import Event
from entitle.core.models import AuditEvent


@dataclass(frozen=True)
class AuditRecorded(Event):
    """A change was recorded (`entitle.core.audit.record`), inside the change's transaction.

    Every change is audited and its `action` names it, so an app that must learn of changes in
    general (the webhooks) subscribes to this one event rather than to one per kind of change.
    The event's primary key may not be set yet (a batch of events is written at the end of the
    batch): read it after the commit."""

    event: AuditEvent
