"""Delegations and transfers, and what a delegation grants on the owner's licences,
entitlements and devices. A delegation counts only while it is neither revoked nor expired,
checked in the same SQL, so revocation and expiry take effect at once."""

from django.db.models import Exists, OuterRef, Q

from entitle.core.actor import Actor
from entitle.core.policy import Action, grant, rule, visible_ids
from entitle.licensing.models import Binding, Device, Licence
from entitle.orders.models import Entitlement
from entitle.sharing.models import Delegation, Transfer

VIEWERS = (Delegation.Role.VIEW, Delegation.Role.MANAGE)
MANAGERS = (Delegation.Role.MANAGE,)


def _held(actor: Actor, roles: tuple[str, ...]):
    return Delegation.objects.active().filter(delegate=actor.company, role__in=roles)


@grant(Licence)
def delegated_licences(actor: Actor, action: Action) -> Q:
    of_owner = _held(actor, VIEWERS if action is Action.VIEW else MANAGERS).filter(
        owner=OuterRef("owner")
    )
    return (
        Q(Exists(of_owner.filter(scope=Delegation.Scope.ALL)))
        | Q(Exists(of_owner.filter(scope=Delegation.Scope.LICENCE, licence=OuterRef("pk"))))
        | Q(
            Exists(
                of_owner.filter(scope=Delegation.Scope.PO, po__entitlements__licence=OuterRef("pk"))
            )
        )
    )


@grant(Entitlement)
def delegated_entitlements(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    of_owner = _held(actor, VIEWERS).filter(owner=OuterRef("po__owner"))
    return (
        Q(Exists(of_owner.filter(scope=Delegation.Scope.ALL)))
        | Q(Exists(of_owner.filter(scope=Delegation.Scope.PO, po=OuterRef("po"))))
        | Q(Exists(of_owner.filter(scope=Delegation.Scope.LICENCE, licence=OuterRef("licence"))))
    )


@grant(Device)
def delegated_devices(actor: Actor, action: Action) -> Q:
    # A `manage` delegate of all the owner's licences sees all its devices; of some licences,
    # the devices those licences are on.
    everything = _held(actor, MANAGERS).filter(owner=OuterRef("owner"), scope=Delegation.Scope.ALL)
    bound_to_managed = Binding.objects.filter(
        device=OuterRef("pk"), licence__in=visible_ids(Licence, actor, Action.CHANGE)
    )
    return Q(Exists(everything)) | Q(Exists(bound_to_managed))


@rule(Delegation)
def delegation_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW:
        if actor.is_vendor_staff:
            return Q()
        return Q(owner=actor.company) | Q(delegate=actor.company)
    # Granted and revoked by the owner's people.
    return Q(owner=actor.company)


@rule(Transfer)
def transfer_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW and actor.is_vendor_staff:
        return Q()
    # The giving company may cancel; the receiving company accepts or declines.
    return Q(from_company=actor.company) | Q(to_company=actor.company)
