"""The one way to write an audit event. Every service calls `record` inside its transaction,
so an event exists exactly when its change committed."""

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from entitle.core.models import AuditEvent

if TYPE_CHECKING:
    from entitle.access.actor import Actor
    from entitle.accounts.models import Company


def record(
    *,
    actor: "Actor",
    action: str,
    obj: models.Model,
    company: "Company | None",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor_user=actor.user,
        actor_company=actor.company,
        via_token=actor.token,
        company=company,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def events_of(obj: models.Model) -> "models.QuerySet[AuditEvent]":
    """The events recorded on one object. Callers fetch `obj` through the access policy
    first: who may see an object's history is who may see (or act on) the object."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor_user", "actor_company")


def without_keys(events, hidden: set[str]) -> list[AuditEvent]:
    """The events with some before/after keys removed (data the reader may not see)."""
    shown = []
    for event in events:
        for side in ("before", "after"):
            value = getattr(event, side)
            if isinstance(value, dict):
                setattr(event, side, {k: v for k, v in value.items() if k not in hidden})
        shown.append(event)
    return shown


def owner_hidden(events, *, owner_id: int, reader: "Actor") -> list[AuditEvent]:
    """Events as a reader other than the owner may see them: the owner's people and company
    are shown only as "the licence owner" (delegates never see the owner's identity)."""
    events = list(events)
    if reader.is_vendor_staff or (reader.company and reader.company.pk == owner_id):
        return events
    for event in events:
        if event.actor_company_id == owner_id:
            event.actor_user = event.actor_company = None
            event.actor_label = "The licence owner"
    return events
