"""Licences, devices and licence files: the owner's. The sharing app grants its delegates more
(`entitle/sharing/policy.py`): `view` delegates see the licence (entitlement information and
status); `manage` delegates may also act on it (CHANGE: renew, increase, assign, download) and
see its installation. Vendor staff see everything but act on licences only through the back
office (suspend, reinstate)."""

from django.db.models import Q

from entitle.core.actor import Actor
from entitle.core.policy import Action, rule, visible_ids
from entitle.licensing.models import (
    Binding,
    ConsumptionRecord,
    Device,
    Funding,
    Licence,
    LicenceFile,
    SigningKey,
)


@rule(Licence)
def licence_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW and actor.is_vendor_staff:
        return Q()
    return Q(owner=actor.company)


def _installation_rule(actor: Actor, action: Action) -> Q | None:
    """Bindings and licence files are the installation: for whoever may act on the licence."""
    if action is Action.VIEW and actor.is_vendor_staff:
        return Q()
    return Q(licence__in=visible_ids(Licence, actor, Action.CHANGE))


rule(Binding)(_installation_rule)
rule(LicenceFile)(_installation_rule)


@rule(Device)
def device_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW and actor.is_vendor_staff:
        return Q()
    return Q(owner=actor.company)


@rule(ConsumptionRecord)
def consumption_rule(actor: Actor, action: Action) -> Q | None:
    # Consumption records stay with the company that paid, whoever owns the licence later.
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    return Q(company=actor.company)


@rule(Funding)
def funding_rule(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    return Q(consumption__company=actor.company)


@rule(SigningKey)
def signing_key_rule(actor: Actor, action: Action) -> Q | None:
    # Public halves are published by the API anyway; the rows are the back office's.
    return Q() if actor.is_vendor_staff and action is Action.VIEW else None
