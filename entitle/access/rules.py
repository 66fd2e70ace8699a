"""One rule per model: a Q filter for (actor, action), or None to deny.

The rules only see an authenticated actor; anonymous requests are denied before they run.
"""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

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
from entitle.renewals.models import (
    PartnerListing,
    Reminder,
    ReminderSweep,
    RenewalRequest,
    ShopOrder,
)
from entitle.sharing.models import Delegation, Transfer


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
        # Every role on the PO, and the owner's delegates for what they were given.
        of_owner = _delegations(actor, VIEWERS).filter(owner=OuterRef("po__owner"))
        delegated = (
            Q(Exists(of_owner.filter(scope=Delegation.Scope.ALL)))
            | Q(Exists(of_owner.filter(scope=Delegation.Scope.PO, po=OuterRef("po"))))
            | Q(
                Exists(of_owner.filter(scope=Delegation.Scope.LICENCE, licence=OuterRef("licence")))
            )
        )
        return po_roles(actor, "po__") | delegated
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


# --- Licences, devices and licence files: the owner's, and its delegates'. `view` delegates
# see the licence (entitlement information and status); `manage` delegates may also act on it
# (CHANGE: renew, increase, assign, download) and see its installation. Vendor staff see
# everything but act on licences only through the back office (suspend, reinstate). A
# delegation counts only while it is neither revoked nor expired, checked in the same SQL. ---

VIEWERS = (Delegation.Role.VIEW, Delegation.Role.MANAGE)
MANAGERS = (Delegation.Role.MANAGE,)


def _delegations(actor: Actor, roles: tuple[str, ...]):
    return Delegation.objects.filter(
        delegate=actor.company, role__in=roles, revoked_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def delegated_licences(actor: Actor, roles: tuple[str, ...], prefix: str = "") -> Q:
    """Licences (at `prefix`) that the actor's company holds a delegation for."""
    of_owner = _delegations(actor, roles).filter(owner=OuterRef(f"{prefix}owner"))
    return (
        Q(Exists(of_owner.filter(scope=Delegation.Scope.ALL)))
        | Q(
            Exists(of_owner.filter(scope=Delegation.Scope.LICENCE, licence=OuterRef(f"{prefix}pk")))
        )
        | Q(
            Exists(
                of_owner.filter(
                    scope=Delegation.Scope.PO, po__entitlements__licence=OuterRef(f"{prefix}pk")
                )
            )
        )
    )


@rule(Licence)
def licence_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW:
        if actor.is_vendor_staff:
            return Q()
        return Q(owner=actor.company) | delegated_licences(actor, VIEWERS)
    return Q(owner=actor.company) | delegated_licences(actor, MANAGERS)


def _installation_rule(prefix: str) -> Callable[[Actor, Action], Q | None]:
    """Bindings and licence files: the installation, for the owner and `manage` delegates."""

    def installation_rule(actor: Actor, action: Action) -> Q | None:
        if action is Action.VIEW and actor.is_vendor_staff:
            return Q()
        return Q(**{f"{prefix}owner": actor.company}) | delegated_licences(actor, MANAGERS, prefix)

    return installation_rule


rule(Binding)(_installation_rule("licence__"))
rule(LicenceFile)(_installation_rule("licence__"))


@rule(Device)
def device_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW and actor.is_vendor_staff:
        return Q()
    all_of_owner = _delegations(actor, MANAGERS).filter(
        owner=OuterRef("owner"), scope=Delegation.Scope.ALL
    )
    bound_to_managed = Binding.objects.filter(device=OuterRef("pk")).filter(
        delegated_licences(actor, MANAGERS, "licence__")
    )
    return Q(owner=actor.company) | Q(Exists(all_of_owner)) | Q(Exists(bound_to_managed))


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


# --- Renewals: reminders, the partner directory, renewal requests and shop orders. ---


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
    return Q(licence__owner=actor.company) | delegated_licences(actor, MANAGERS, "licence__")


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
