"""Vouchers and the Digital Locker."""

from django.db.models import Q

from entitle.core.actor import Actor
from entitle.core.policy import Action, field_group, rule
from entitle.locker.models import LedgerEntry, Locker, Voucher


@rule(Voucher)
def voucher_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        # The purchasing entity receives the codes; a company sees what it redeemed.
        return Q(line__po__purchasing_entity=actor.company) | Q(redeemed_by_company=actor.company)
    return None


@field_group(Voucher, "redeemer", fields=("redeemed_by_company", "redeemed_by"))
def voucher_redeemer(actor: Actor) -> Q | None:
    # The purchasing entity sees that its voucher was redeemed, and when, never by whom.
    if actor.is_vendor_staff:
        return Q()
    return Q(redeemed_by_company=actor.company)


@rule(Locker)
def locker_rule(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    return Q(company=actor.company)


@rule(LedgerEntry)
def ledger_entry_rule(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    return Q(locker__company=actor.company)
