from django.db.models import QuerySet

from entitle.core.actor import Actor
from entitle.core.models import AuditEvent
from entitle.core.policy import Action, audit_redactions


def company_activity(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Every change to the actor's company's objects (administrators); all, for vendor staff."""
    return (
        AuditEvent.objects.visible_to(actor, Action.VIEW)
        .select_related("actor_user", "actor_company", "company")
        .annotate(**audit_redactions(actor))
    )
