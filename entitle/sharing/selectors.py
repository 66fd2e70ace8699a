from django.db.models import QuerySet

from entitle.core.actor import Actor
from entitle.core.policy import Action
from entitle.sharing.models import Delegation, Transfer


def delegations_given(*, actor: Actor) -> QuerySet[Delegation]:
    return (
        Delegation.objects.visible_to(actor, Action.VIEW)
        .filter(owner=actor.company)
        .select_related("delegate", "licence__product", "po")
    )


def delegations_held(*, actor: Actor) -> QuerySet[Delegation]:
    # What others shared with us. The owner's name is deliberately not selected: delegates
    # never see the owner's identity.
    return (
        Delegation.objects.visible_to(actor, Action.VIEW)
        .filter(delegate=actor.company)
        .select_related("licence__product", "po")
    )


def transfer_list(*, actor: Actor) -> QuerySet[Transfer]:
    return Transfer.objects.visible_to(actor, Action.VIEW).select_related(
        "licence__product", "from_company", "to_company", "proposed_by"
    )
