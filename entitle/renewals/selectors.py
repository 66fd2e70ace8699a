"""Reads for renewals: the renewal page's options, the partner directory, renewal requests and
the expiries a partner sold. Each starts from `visible_to`; what the actor may not see is
NotFound, exactly like what does not exist."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db.models import Aggregate, CharField, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from pydantic import Field

from entitle.accounts.models import Company
from entitle.catalog.models import Product
from entitle.catalog.selectors import product_filter
from entitle.core import links
from entitle.core.actor import Actor
from entitle.core.errors import DomainError
from entitle.core.listing import Filter, Listing, Sort, choice_filter, ends_within
from entitle.core.policy import Action, RestrictedPrefetch
from entitle.licensing.arithmetic import LicenceStatus, StatusAt, status_at
from entitle.licensing.models import ConsumptionRecord, Licence
from entitle.licensing.selectors import (
    EntitlementRow,
    licence_get,
    licence_list,
    licence_status,
)
from entitle.licensing.services.licences import Quote, quote_renew
from entitle.orders.models import Entitlement
from entitle.renewals import schedule
from entitle.renewals.errors import (
    PartnerNotFound,
    RegistrationLinkInvalid,
    RenewalRequestNotFound,
)
from entitle.renewals.models import (
    PartnerListing,
    Reminder,
    RenewalKind,
    RenewalRequest,
    ShopOrder,
)

# How far ahead (and back, for grace and recent expiry) the renewal lists look.
HORIZON_DAYS = 180
RECENTLY_EXPIRED_DAYS = 90


def _today() -> date:
    return timezone.localdate()


def renewal_kind(licence: Licence) -> str:
    """A renewal — or, once a product that cannot be renewed after expiry has expired, a new
    subscription with a new Activation ID."""
    expired = _today() >= licence.end_date
    if expired and not licence.product.renewable_after_expiry:
        return RenewalKind.NEW_SUBSCRIPTION
    return RenewalKind.RENEWAL


def licence_schedule(licence: Licence) -> list[schedule.Step]:
    return schedule.steps(
        reminder_days=licence.product.reminder_days, grace_days=licence.product.grace_days
    )


# --- The owner's side. ---


def licences_due(*, actor: Actor) -> QuerySet[Licence]:
    """The licences the actor may renew that end within six months, are in grace, or expired
    recently: the Renewals tab."""
    today = _today()
    return (
        licence_list(actor=actor, action=Action.CHANGE)
        .filter(
            end_date__lte=today + timedelta(days=HORIZON_DAYS),
            end_date__gt=today - timedelta(days=RECENTLY_EXPIRED_DAYS),
        )
        .order_by("end_date", "activation_id")
    )


def renewal_requests_sent(*, actor: Actor) -> QuerySet[RenewalRequest]:
    return (
        RenewalRequest.objects.visible_to(actor, Action.VIEW)
        .filter(requester=actor.company)
        .select_related("partner", "sku__product", "requested_by")
    )


def shop_orders(*, actor: Actor) -> QuerySet[ShopOrder]:
    return ShopOrder.objects.visible_to(actor, Action.VIEW).select_related(
        "po", "licence", "new_licence"
    )


def _request_search(text: str) -> Q:
    """What both sides of a request see: its Subscription ID, SKU, product and partner; the
    requester's contact only where the requester included it."""
    return (
        Q(subscription_id__iexact=text)
        | Q(sku__code__iexact=text)
        | Q(sku__product__name__icontains=text)
        | Q(partner__name__icontains=text)
        | (
            ~Q(contact_email="")
            & (
                Q(contact_company__icontains=text)
                | Q(contact_name__icontains=text)
                | Q(contact_email__iexact=text)
            )
        )
    )


RENEWAL_REQUESTS = Listing(
    search=_request_search,
    search_hint="Subscription ID, SKU, product, partner or contact",
    sorts={"sent": Sort("Sent", "created_at"), "end": Sort("End date", "end_date")},
    default="-sent",
    filters={
        "status": choice_filter("Status", RenewalRequest.Status, "status"),
        "kind": choice_filter("Kind", RenewalKind, "kind"),
    },
)

SHOP_ORDERS = Listing(
    search=lambda text: Q(po__po_number__icontains=text),
    search_hint="Order (PO) number",
    sorts={"placed": Sort("Placed", "placed_at")},
    default="-placed",
    filters={
        "status": choice_filter("Status", ShopOrder.Status, "status"),
    },
)


def reminders_sent(*, actor: Actor, licence: Licence) -> QuerySet[Reminder]:
    return Reminder.objects.visible_to(actor, Action.VIEW).filter(
        licence=licence, status=Reminder.Status.MAILED
    )


@dataclass(frozen=True)
class Partner:
    """A partner as the directory shows it."""

    company_id: int
    name: str
    country: str
    summary: str = ""
    products: tuple[str, ...] = ()
    recommended: bool = False


def _partner(listing: PartnerListing, recommended: set[int]) -> Partner:
    # The company's name and country are what a partner lists itself under: read through its
    # listing, which the policy shows to everyone signed in.
    return Partner(
        company_id=listing.company_id,
        name=listing.company.name,
        country=listing.company.country,
        summary=listing.summary,
        products=tuple(p.name for p in listing.listed_products),
        recommended=listing.company_id in recommended,
    )


def partner_listings(*, actor: Actor) -> QuerySet[PartnerListing]:
    return (
        PartnerListing.objects.visible_to(actor, Action.VIEW)
        .select_related("company")
        .prefetch_related(
            RestrictedPrefetch("products", Product, actor=actor, to_attr="listed_products")
        )
    )


def partner_directory(
    *,
    actor: Actor,
    query: str = "",
    country: str = "",
    product: str = "",
    recommended: tuple[int, ...] = (),
) -> list[Partner]:
    """The partner directory as the renewal page's partner choice uses it, searched by name,
    summary or product name, country and product code; the recommended partners (in the
    given order) first. The directory's own page and the API page through `PARTNERS`."""
    listings = partner_listings(actor=actor)
    if query := query.strip():
        listings = listings.filter(_partner_search(query))
    if country := country.strip().upper():
        listings = listings.filter(company__country=country)
    if product := product.strip():
        listings = listings.filter(products__code=product)
    rank = {company_id: n for n, company_id in enumerate(recommended)}
    partners = [_partner(listing, set(recommended)) for listing in listings.distinct()]
    return sorted(partners, key=lambda p: (rank.get(p.company_id, len(rank)), p.name.lower()))


def partner_rows(*, actor: Actor) -> QuerySet[PartnerListing]:
    """The directory's listings, once each however many products a search or filter matches
    (they join the listing's products)."""
    return partner_listings(actor=actor).distinct()


def partner_page(*, actor: Actor, params) -> dict:
    """A page of the directory as partners (`PartnerOut`)."""
    page = PARTNERS.page(partner_rows(actor=actor), params)
    return {
        "items": [_partner(listing, set()) for listing in page.items],
        "next_cursor": page.next_cursor,
    }


def _partner_search(text: str) -> Q:
    return (
        Q(company__name__icontains=text)
        | Q(summary__icontains=text)
        | Q(products__name__icontains=text)
    )


# An ISO code; blank (any country) as the API always took it.
CountryCode = Annotated[str, Field(max_length=2, pattern=r"^([A-Za-z]{2})?$")]

PARTNERS = Listing(
    search=_partner_search,
    search_hint="Partner, summary or product",
    sorts={
        "name": Sort("Partner", "company__name"),
        "country": Sort("Country", "company__country"),
    },
    default="name",
    filters={
        "country": Filter(
            "Country",
            CountryCode,
            lambda rows, country: (
                rows.filter(company__country=country.upper()) if country else rows
            ),
        ),
        "product": product_filter("products__code", label="Sells"),
    },
)


def partner_countries(*, actor: Actor) -> list[str]:
    return sorted(
        set(
            partner_listings(actor=actor)
            .exclude(company__country="")
            .values_list("company__country", flat=True)
        )
    )


def partner_get(*, actor: Actor, company_id: int) -> Company:
    """A partner company of the directory, by id."""
    try:
        listing = partner_listings(actor=actor).get(company_id=company_id)
    except (PartnerListing.DoesNotExist, ValueError, TypeError) as exc:
        raise PartnerNotFound(field="partner") from exc
    return listing.company


def recommended_partners(*, actor: Actor, licence: Licence) -> tuple[int, ...]:
    """The partners that sold this licence's entitlement — the reseller, then the purchasing
    entity, of every PO whose vouchers paid for it — newest first."""
    rows = (
        Entitlement.objects.visible_to(actor, Action.VIEW)
        .filter(
            voucher__fundings__consumption__licence=licence,
            voucher__fundings__consumption__status=ConsumptionRecord.Status.COMPLETED,
        )
        .order_by("-po__recorded_at")
        .values_list("po__reseller", "po__purchasing_entity")
    )
    listed = set(partner_listings(actor=actor).values_list("company_id", flat=True))
    ranked: list[int] = []
    for reseller, purchaser in rows:
        for company_id in (reseller, purchaser):
            if company_id in listed and company_id not in ranked:
                ranked.append(company_id)
    return tuple(ranked)


@dataclass(frozen=True)
class Prices:
    """The shop's price of one renewal term for the licence's quantity, and the premium."""

    quantity: int
    partner_unit: Decimal
    direct_unit: Decimal

    @property
    def partner_total(self) -> Decimal:
        return self.partner_unit * self.quantity

    @property
    def direct_total(self) -> Decimal:
        return self.direct_unit * self.quantity

    @property
    def premium(self) -> Decimal:
        return self.direct_total - self.partner_total

    @property
    def premium_percent(self) -> Decimal:
        if not self.partner_unit:
            return Decimal(0)
        ratio = (self.direct_unit / self.partner_unit - 1) * 100
        return ratio.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


@dataclass
class RenewalOptions:
    """What the renewal page offers for one licence."""

    licence: Licence
    status: StatusAt
    # False once the licence can only be replaced by a new subscription (Secure NMC after its
    # end date), or while it is suspended.
    renewable: bool
    suspended: bool
    prices: Prices
    credits_quote: Quote | None
    credits_refusal: str
    partners: list[Partner]
    next_reminder: schedule.Step | None
    next_reminder_on: date | None
    reminders: list["SentReminder"] = field(default_factory=list)
    requests: list[RenewalRequest] = field(default_factory=list)
    orders: list[ShopOrder] = field(default_factory=list)

    @property
    def recommended(self) -> list[Partner]:
        return [p for p in self.partners if p.recommended]

    @property
    def kind(self) -> str:
        return RenewalKind.RENEWAL if self.renewable else RenewalKind.NEW_SUBSCRIPTION


def renewal_options(*, actor: Actor, activation_id: str) -> RenewalOptions:
    """The renewal page of a licence: for its owner and the delegates that manage it."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    today = _today()
    status = licence_status(licence, today)
    suspended = status.status is LicenceStatus.SUSPENDED
    renewable = not suspended and (
        today < licence.end_date or licence.product.renewable_after_expiry
    )
    quote, refusal = None, ""
    if renewable:
        try:
            quote = quote_renew(actor=actor, activation_id=licence.activation_id, terms=1)
        except DomainError as error:
            refusal = error.message
    steps = licence_schedule(licence)
    coming = schedule.next_step(steps, end=licence.end_date, on=today)
    return RenewalOptions(
        licence=licence,
        status=status,
        renewable=renewable,
        suspended=suspended,
        prices=Prices(licence.quantity, licence.sku.partner_price, licence.sku.direct_price),
        credits_quote=quote,
        credits_refusal=refusal,
        partners=partner_directory(
            actor=actor, recommended=recommended_partners(actor=actor, licence=licence)
        ),
        next_reminder=coming,
        next_reminder_on=coming.due(licence.end_date) if coming else None,
        reminders=[
            SentReminder(step_label(steps, reminder.step), reminder.end_date, reminder.mailed_at)
            for reminder in reminders_sent(actor=actor, licence=licence)
        ],
        requests=list(renewal_requests_sent(actor=actor).filter(licence=licence)),
        orders=list(shop_orders(actor=actor).filter(licence=licence)),
    )


@dataclass(frozen=True)
class SentReminder:
    label: str
    end_date: date
    mailed_at: datetime


def step_label(steps: list[schedule.Step], key: str) -> str:
    # A step the product's schedule has since dropped is shown by its key.
    return next((step.label for step in steps if step.key == key), key)


# --- The partner's side. ---


def renewal_requests_received(*, actor: Actor) -> QuerySet[RenewalRequest]:
    return (
        RenewalRequest.objects.visible_to(actor, Action.VIEW)
        .filter(partner=actor.company)
        .select_related("sku__product", "partner")
    )


def renewal_request_get(*, actor: Actor, public_id, action: Action = Action.VIEW) -> RenewalRequest:
    try:
        return (
            RenewalRequest.objects.visible_to(actor, action)
            .select_related("sku__product", "partner")
            .get(public_id=public_id)
        )
    except (RenewalRequest.DoesNotExist, ValidationError, ValueError) as exc:
        raise RenewalRequestNotFound() from exc


class _PoNumbers(Aggregate):
    """The distinct PO numbers of a group, joined: in order on PostgreSQL; on SQLite in its
    own order with its own separator (`po_numbers` puts them in order)."""

    function = "STRING_AGG"
    template = "%(function)s(DISTINCT %(expressions)s, ', ' ORDER BY %(expressions)s)"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(DISTINCT %(expressions)s)",
        )


def _sold(actor: Actor) -> QuerySet[Entitlement]:
    """The entitlements the actor may see, on POs its company sold (as purchasing entity or
    reseller), whose credits went into the outer licence."""
    company = actor.company
    return Entitlement.objects.visible_to(actor, Action.VIEW).filter(
        Q(po__purchasing_entity=company) | Q(po__reseller=company),
        voucher__fundings__consumption__status=ConsumptionRecord.Status.COMPLETED,
        voucher__fundings__consumption__licence=OuterRef("pk"),
    )


def sold_expiry_rows(*, actor: Actor) -> QuerySet[Licence]:
    """The licences paid for by the POs the actor's company sold that end within six months,
    are in grace, or expired recently — reached only through the entitlements the actor may
    see, and shown as entitlement information only (`sold_subscription`, `sold_pos`, the
    licence's product, SKU, quantity and dates): one row per licence, its PO numbers together
    when several of the company's POs paid for it."""
    today = _today()
    sold = _sold(actor)
    return (
        Licence.objects.filter(
            Exists(sold),
            end_date__lte=today + timedelta(days=HORIZON_DAYS),
            end_date__gt=today - timedelta(days=RECENTLY_EXPIRED_DAYS),
        )
        .select_related("product", "sku")
        .only(
            "pk",
            "start_date",
            "end_date",
            "quantity",
            "product__name",
            "product__warn_days",
            "product__grace_days",
            "sku__code",
        )
        .annotate(
            sold_subscription=Subquery(
                sold.order_by("subscription_id").values("subscription_id")[:1]
            ),
            sold_pos=Subquery(
                sold.order_by()
                .values("voucher__fundings__consumption__licence")
                .annotate(numbers=_PoNumbers("po__po_number"))
                .values("numbers")
            ),
        )
    )


def po_numbers(licence: Licence) -> str:
    return ", ".join(sorted(n.strip() for n in (licence.sold_pos or "").split(",") if n.strip()))


def sold_status(licence: Licence) -> StatusAt:
    """The status from the dates and the product alone: a suspension is the vendor's and the
    owner's business, not the seller's."""
    return status_at(
        start=licence.start_date,
        end=licence.end_date,
        on=_today(),
        warn_days=licence.product.warn_days,
        grace_days=licence.product.grace_days,
    )


def sold_expiry(licence: Licence) -> EntitlementRow:
    """A row of `sold_expiry_rows` as entitlement information."""
    return EntitlementRow(
        subscription_id=licence.sold_subscription,
        product=licence.product.name,
        sku=licence.sku.code,
        quantity=licence.quantity,
        start_date=licence.start_date,
        end_date=licence.end_date,
        po_number=po_numbers(licence),
        status=sold_status(licence),
        licence_id=licence.pk,
        sold_by=frozenset(),
    )


def sold_expiry_page(*, actor: Actor, params) -> dict:
    page = SOLD_EXPIRIES.page(sold_expiry_rows(actor=actor), params)
    return {"items": [sold_expiry(row) for row in page.items], "next_cursor": page.next_cursor}


def sold_expiries(*, actor: Actor) -> list[EntitlementRow]:
    """Every row of `sold_expiry_rows`, soonest end first (for tests and small callers; pages
    and the API page through `SOLD_EXPIRIES`)."""
    rows = SOLD_EXPIRIES.ordered(sold_expiry_rows(actor=actor), SOLD_EXPIRIES.Params())
    return [sold_expiry(row) for row in rows]


SOLD_EXPIRIES = Listing(
    sorts={
        "end": Sort("Valid through", "end_date"),
        "start": Sort("Start date", "start_date"),
        "quantity": Sort("Quantity", "quantity"),
    },
    default="end",
    filters={
        "ends_within": ends_within("end_date"),
    },
)


# --- Registration from a reminder, for a PO email with no account. ---

REGISTRATION_LINK = "renewals.registration"
REGISTRATION_DAYS = 30


@dataclass(frozen=True)
class Registration:
    email: str
    company: Company
    next_path: str


def registration_token(*, email: str, company_id: int, next_path: str) -> str:
    """The secret in a reminder's registration link: the address, the company it joins (the
    PO's purchasing entity, whose contact the address is) and the page to go on to, signed
    with the server's key, so that nothing secret is stored and an altered link is refused."""
    return links.sign({"e": email, "c": company_id, "n": next_path}, purpose=REGISTRATION_LINK)


def registration_link(*, email: str, company_id: int, next_path: str) -> str:
    token = registration_token(email=email, company_id=company_id, next_path=next_path)
    return links.portal_url("renewals:register", token)


def registration_from_token(token: str) -> Registration:
    """What a registration link names; the link itself is the credential (it was mailed to
    the address), so the company is read without an actor."""
    try:
        data = links.unsign(
            token, purpose=REGISTRATION_LINK, max_age=timedelta(days=REGISTRATION_DAYS)
        )
        company = Company.objects.get(pk=data["c"])
    except (links.BadLink, Company.DoesNotExist, KeyError, TypeError) as exc:
        raise RegistrationLinkInvalid() from exc
    # The signature vouches for every field: the server wrote them.
    return Registration(email=data["e"], company=company, next_path=data["n"])
