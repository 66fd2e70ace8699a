"""Renewals: reminders, the partner directory, renewal requests and shop orders."""

from django.db.models import Q

from entitle.core.actor import Actor
from entitle.core.policy import Action, rule, visible_ids
from entitle.licensing.models import Licence
from entitle.renewals.models import (
    PartnerListing,
    Reminder,
    ReminderSweep,
    RenewalRequest,
    ShopOrder,
)


@rule(ReminderSweep)
def reminder_sweep_rule(actor: Actor, action: Action) -> Q | None:
    # The sweep's runs are the back office's to see; only the system writes them.
    return Q() if actor.is_vendor_staff and action is Action.VIEW else None


@rule(Reminder)
def reminder_rule(actor: Actor, action: Action) -> Q | None:
    # A licence's reminders are for whoever may renew it; only the sweep writes them.
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    return Q(licence__in=visible_ids(Licence, actor, Action.CHANGE))


@rule(PartnerListing)
def partner_listing_rule(actor: Actor, action: Action) -> Q | None:
    # The directory is for everyone signed in; a partner's administrators keep its listing.
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(company__is_partner=True)
    if actor.is_company_admin:
        return Q(company=actor.company, company__is_partner=True)
    return None


@rule(RenewalRequest)
def renewal_request_rule(actor: Actor, action: Action) -> Q | None:
    # The partner it was sent to and the company that sent it see it; the partner answers.
    if action is Action.VIEW:
        if actor.is_vendor_staff:
            return Q()
        return Q(partner=actor.company) | Q(requester=actor.company)
    return Q(partner=actor.company)


@rule(ShopOrder)
def shop_order_rule(actor: Actor, action: Action) -> Q | None:
    # The buyer's, like its PO; it changes only when the buyer redeems the order's voucher.
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    return Q(company=actor.company)
