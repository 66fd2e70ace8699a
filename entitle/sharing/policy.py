"""Delegations and transfers, and what a delegation grants on the owner's licences,
entitlements and devices. A delegation counts only while it is neither revoked nor expired.

The delegations a company holds are read when the condition is built (a company holds a
handful), and the grant becomes plain conditions on the owner, the licence id or the PO id:
a company that holds none adds nothing to the query, and the database can answer the others
from its indexes. (Written as correlated EXISTS over the delegations, the grant made every
non-staff licence list scan every licence in the database: 3–7 s at 1.2 M licences.)"""

import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Exists, OuterRef, Q

from entitle.core import statements
from entitle.core.actor import Actor
from entitle.core.policy import Action, grant, rule, visible_ids
from entitle.licensing.models import Binding, Device, Licence
from entitle.orders.models import Entitlement
from entitle.sharing.models import Delegation, Transfer, in_force

VIEWERS = (Delegation.Role.VIEW, Delegation.Role.MANAGE)
MANAGERS = (Delegation.Role.MANAGE,)


# Asked on every read of a licence, entitlement or device: compiled once (entitle.core.statements),
# its condition — the delegations the company holds in force — added per call.
HELD = statements.Select(Delegation, where="1 = 1")


def _held(actor: Actor, roles: tuple[str, ...]) -> list[Delegation]:
    return HELD.all([], allowed=in_force() & Q(delegate=actor.company, role__in=roles))


@dataclass(frozen=True)
class Held:
    """The active delegations a company holds: the owners it holds every licence of, and
    (owner, licence) and (owner, PO) pairs for the ones it holds some of."""

    everything: frozenset[int]
    licences: frozenset[tuple[int, int]]
    pos: frozenset[tuple[int, int]]


def _held_now(actor: Actor, roles: tuple[str, ...]) -> Held | None:
    if not actor.is_authenticated or actor.company is None:
        return None
    rows = [(d.scope, d.owner_id, d.licence_id, d.po_id) for d in _held(actor, roles)]
    if not rows:
        return None
    return Held(
        everything=frozenset(o for scope, o, _, _ in rows if scope == Delegation.Scope.ALL),
        licences=frozenset(
            (o, lic) for scope, o, lic, _ in rows if scope == Delegation.Scope.LICENCE
        ),
        pos=frozenset((o, po) for scope, o, _, po in rows if scope == Delegation.Scope.PO),
    )


def _any(conditions) -> Q:
    return reduce(operator.or_, conditions, Q(pk__in=[]))


@grant(Licence)
def delegated_licences(actor: Actor, action: Action) -> Q | None:
    held = _held_now(actor, VIEWERS if action is Action.VIEW else MANAGERS)
    if held is None:
        return None
    # Each delegation counts for its owner's licences only: a licence transferred away
    # leaves the delegations of its old owner behind.
    return _any(
        [
            Q(owner__in=held.everything),
            *(Q(owner=owner, pk=licence) for owner, licence in held.licences),
            *(
                Q(owner=owner, pk__in=Entitlement.objects.filter(po=po).values("licence"))
                for owner, po in held.pos
            ),
        ]
    )


@grant(Entitlement)
def delegated_entitlements(actor: Actor, action: Action) -> Q | None:
    held = _held_now(actor, VIEWERS) if action is Action.VIEW else None
    if held is None:
        return None
    return _any(
        [
            Q(po__owner__in=held.everything),
            *(Q(po__owner=owner, po=po) for owner, po in held.pos),
            *(Q(po__owner=owner, licence=licence) for owner, licence in held.licences),
        ]
    )


@grant(Device)
def delegated_devices(actor: Actor, action: Action) -> Q | None:
    # A `manage` delegate of all the owner's licences sees all its devices; of some licences,
    # the devices those licences are on.
    held = _held_now(actor, MANAGERS)
    if held is None:
        return None
    bound_to_managed = Binding.objects.filter(
        device=OuterRef("pk"), licence__in=visible_ids(Licence, actor, Action.CHANGE)
    )
    return Q(owner__in=held.everything) | Q(Exists(bound_to_managed))


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
