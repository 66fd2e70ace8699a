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
