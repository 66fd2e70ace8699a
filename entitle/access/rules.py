"""One rule per model: a Q filter for (actor, action), or None to deny.

The rules only see an authenticated actor; anonymous requests are denied before they run.
"""

from collections.abc import Callable

from django.db.models import Q

from entitle.access.actor import Actor
from entitle.access.policy import Action, rule
from entitle.accounts.models import ApiToken, Company, Invitation, User
from entitle.catalog.models import Product, Sku
from entitle.core.models import AuditEvent, IdempotencyRecord
from entitle.licensing.models import (
    Binding,
    ConsumptionRecord,
    Device,
    Funding,
    Licence,
    LicenceFile,
    SigningKey,
)
from entitle.locker.models import LedgerEntry, Locker, Voucher
from entitle.orders.models import Entitlement, OrderLine, PurchaseOrder


@rule(Company)
def company_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(pk=actor.company.pk)
    if action is Action.CHANGE and actor.is_company_admin:
        return Q(pk=actor.company.pk)
    return None


@rule(User)
def coworker_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(company=actor.company)
    if action is Action.CHANGE and actor.is_company_admin:
        return Q(company=actor.company)
    return None


@rule(Invitation)
def invitation_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(company=actor.company)
    if action is Action.CHANGE:
        # The inviter may revoke or resend their own invitation; an administrator any of
        # the company's.
        if actor.is_company_admin:
            return Q(company=actor.company)
        return Q(company=actor.company, invited_by=actor.user)
    return None


@rule(ApiToken)
def api_token_rule(actor: Actor, action: Action) -> Q | None:
    # Tokens are the company administrators' business (and the back office's), and never
    # reachable through a token: a token cannot list, mint or revoke tokens.
    if actor.token is not None:
        return None
    if actor.is_vendor_staff:
        return Q()
    if actor.is_company_admin:
        return Q(company=actor.company)
    return None


@rule(AuditEvent)
def audit_event_rule(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    if actor.is_company_admin:
        return Q(company=actor.company)
    return None


# --- Catalog: everyone signed in reads it; the vendor's staff change it. ---


def _catalog_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW or actor.is_vendor_staff:
        return Q()
    return None


rule(Product)(_catalog_rule)
rule(Sku)(_catalog_rule)


# --- Orders. DOMAIN.md, "What may be shared, with whom". ---


def po_roles(actor: Actor, prefix: str = "") -> Q:
    """Every role held on the PO at `prefix` (entitlement information is theirs to see)."""
    company = actor.company
    return (
        Q(**{f"{prefix}purchasing_entity": company})
        | Q(**{f"{prefix}reseller": company})
        | Q(**{f"{prefix}owner": company})
        | Q(**{f"{prefix}installer": company})
    )


def owner_identity(actor: Actor, prefix: str = "") -> Q:
    """Where the owner's identity and contacts may be shown: to the owner and vendor staff."""
    if actor.is_vendor_staff:
        return Q()
    return Q(**{f"{prefix}owner": actor.company})


@rule(PurchaseOrder)
def purchase_order_rule(actor: Actor, action: Action) -> Q | None:
    # The PO itself, its lines, prices and MSA are order details: the purchasing entity's.
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(purchasing_entity=actor.company)
    return None


@rule(OrderLine)
def order_line_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(po__purchasing_entity=actor.company)
    return None


@rule(Entitlement)
def entitlement_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return po_roles(actor, "po__")
    return None


# --- Vouchers and the Digital Locker. ---


@rule(Voucher)
def voucher_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        # The purchasing entity receives the codes; a company sees what it redeemed.
        return Q(line__po__purchasing_entity=actor.company) | Q(redeemed_by_company=actor.company)
    return None


@rule(Locker)
def locker_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff and action is Action.VIEW:
        return Q()
    if action is Action.VIEW:
        return Q(company=actor.company)
    return None


@rule(LedgerEntry)
def ledger_entry_rule(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    return Q(locker__company=actor.company)


@rule(IdempotencyRecord)
def idempotency_record_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW:
        return Q(company=actor.company)
    return None


# --- Licences, devices and licence files: the owner's. Lifecycle actions (CHANGE: renew,
# increase, assign, download) are the owner's too. Vendor staff see everything but act on
# licences only through the back office (suspend, reinstate). ---


def _owner_rule(owner_field: str) -> Callable[[Actor, Action], Q | None]:
    def owner_rule(actor: Actor, action: Action) -> Q | None:
        if action is Action.VIEW and actor.is_vendor_staff:
            return Q()
        return Q(**{owner_field: actor.company})

    return owner_rule


rule(Licence)(_owner_rule("owner"))
rule(Device)(_owner_rule("owner"))
rule(Binding)(_owner_rule("licence__owner"))
rule(LicenceFile)(_owner_rule("licence__owner"))


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
