import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from pydantic import Field

from entitle.catalog.models import Product
from entitle.catalog.selectors import product_filter, products_named
from entitle.core import codes, units
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, events_of, owner_hidden
from entitle.core.listing import PRINTABLE, Filter, Listing, Sort, ends_within
from entitle.core.models import AuditEvent
from entitle.core.policy import Action, RestrictedPrefetch, permitted, visible_ids
from entitle.licensing.arithmetic import LicenceStatus, StatusAt, status_at
from entitle.licensing.errors import (
    DeviceNotFound,
    LicenceNotFound,
    LicenceSuspended,
    NoLicenceFile,
)
from entitle.licensing.models import Binding, ConsumptionRecord, Device, Licence, LicenceFile
from entitle.orders.models import Entitlement, EntitlementListRow
from entitle.orders.policy import po_roles


def licence_status(licence: Licence, on: date | None = None) -> StatusAt:
    """The licence's status on a day (today by default), from its dates and product policy."""
    product = licence.product
    return status_at(
        start=licence.start_date,
        end=licence.end_date,
        on=on or timezone.localdate(),
        warn_days=product.warn_days,
        grace_days=product.grace_days,
        suspended=licence.is_suspended,
    )


@dataclass(frozen=True)
class Permits:
    """What the actor may do with a licence today, as its menus offer it: only what its role
    allows (the owner and `manage` delegates act; `view` delegates and vendor staff look) and
    what the licence's state allows (nothing but a new subscription once a product that cannot
    be renewed after expiry has expired; no increase past the end date; nothing while
    suspended)."""

    act: bool = False
    increase: bool = False
    renew: bool = False
    new_subscription: bool = False
    assign: bool = False
    download: bool = False
    share: bool = False
    history: bool = False


def licence_permits(licence: Licence, *, actor: Actor, acts: bool, on: date | None = None):
    """`acts`: whether the actor may act on this licence (the policy's CHANGE: `licence_list`
    annotates it as `key_visible` for anyone but staff)."""
    on = on or timezone.localdate()
    act = acts and not actor.is_vendor_staff
    if not act:
        return Permits(history=actor.is_vendor_staff)
    status = licence_status(licence, on)
    live = status.status is not LicenceStatus.SUSPENDED
    ended = on >= licence.end_date
    renewable = live and (not ended or licence.product.renewable_after_expiry)
    return Permits(
        act=True,
        increase=live and not ended,
        renew=renewable,
        new_subscription=live and not renewable,
        assign=live and status.may_run,
        download=live,
        share=licence.owner_id == actor.company.pk,
        history=True,
    )


def licence_list(*, actor: Actor, action: Action = Action.VIEW) -> QuerySet[Licence]:
    """Licences, each with `key_visible`: may the actor see its Activation ID (the owner, its
    `manage` delegates, vendor staff)? The live bindings the actor may see are prefetched."""
    key_visible = (
        Value(True, output_field=BooleanField())
        if actor.is_vendor_staff
        else permitted(Licence, actor, Action.CHANGE)
    )
    return (
        Licence.objects.visible_to(actor, action)
        .select_related("product", "sku", "owner")
        .prefetch_related(
            # The devices a licence is on are installation data: only those the actor may see.
            RestrictedPrefetch(
                "bindings",
                Binding,
                actor=actor,
                to_attr="visible_bindings",
                select_related=("device",),
                where=Q(ended_at__isnull=True),
            )
        )
        .annotate(
            key_visible=key_visible,
            subscription=Subquery(
                Entitlement.objects.visible_to(actor, Action.VIEW)
                .filter(licence=OuterRef("pk"))
                .order_by("pk")
                .values("subscription_id")[:1]
            ),
        )
    )


# How many licences a form's select offers per product: a company with 200,000 licences of a
# product gets the first of them in a sensible order, and the one it came for, not a select
# of 200,000 (its Licenses page finds any other, and links to the form with it chosen).
CHOICES = 50


def licence_choices(*, actor: Actor, products, order: str, wanted: str = "") -> list[Licence]:
    """The licences the actor may act on that a form offers: for each of `products`, the
    first CHOICES not suspended in `order` (a column, `-` for descending), plus the licence
    `wanted` (its id) wherever it stands."""
    rows = licence_list(actor=actor, action=Action.CHANGE).filter(suspended_at__isnull=True)
    chosen = []
    for product in sorted(set(products)):
        chosen += rows.filter(product=product).order_by(order, "pk")[:CHOICES]
    try:
        wanted_id = uuid.UUID(wanted)
    except ValueError:
        return chosen
    if all(licence.public_id != wanted_id for licence in chosen):
        chosen += rows.filter(public_id=wanted_id, product__in=set(products))
    return chosen


def normalize_activation_id(text: str) -> str:
    try:
        return codes.normalize(text)
    except codes.CodeTypo as exc:
        raise LicenceNotFound() from exc


def licence_get(*, actor: Actor, activation_id: str, action: Action = Action.VIEW) -> Licence:
    """A licence by its public id (a UUID: links and API paths), or by its Activation ID for
    those who may see the key (the owner, its `manage` delegates, vendor staff). Anything else
    is "not found"."""
    licences = licence_list(actor=actor, action=action)
    try:
        public_id = uuid.UUID(str(activation_id))
    except ValueError:
        licences = licences.filter(
            key_visible=True, activation_id=normalize_activation_id(activation_id)
        )
    else:
        licences = licences.filter(public_id=public_id)
    try:
        return licences.get()
    except Licence.DoesNotExist as exc:
        raise LicenceNotFound() from exc


def subscription_id_of(licence: Licence, *, actor: Actor) -> str:
    """The Subscription ID partners and every role on the PO know the licence by: that of the
    first entitlement whose credits went into it, if the actor may see it ("" otherwise)."""
    if hasattr(licence, "subscription"):  # annotated by `licence_list`
        return licence.subscription or ""
    return (
        Entitlement.objects.visible_to(actor, Action.VIEW)
        .filter(licence=licence)
        .order_by("pk")
        .values_list("subscription_id", flat=True)
        .first()
        or ""
    )


def device_list(*, actor: Actor, action: Action = Action.VIEW) -> QuerySet[Device]:
    return (
        Device.objects.visible_to(actor, action)
        .select_related("product", "owner")
        .prefetch_related(
            RestrictedPrefetch(
                "bindings",
                Binding,
                actor=actor,
                to_attr="visible_bindings",
                select_related=("licence__product",),
                where=Q(ended_at__isnull=True),
            )
        )
    )


def device_get(*, actor: Actor, public_id, action: Action = Action.VIEW) -> Device:
    try:
        return device_list(actor=actor, action=action).get(public_id=public_id)
    except (Device.DoesNotExist, ValueError) as exc:
        raise DeviceNotFound() from exc


def consumption_list(*, actor: Actor) -> QuerySet[ConsumptionRecord]:
    """Every use of the actor's company's credits, each with `licence_key_visible`: may the
    actor still see its licence's Activation ID (not once the licence was transferred away)?"""
    key_visible = Exists(
        Licence.objects.visible_to(actor, Action.CHANGE).filter(pk=OuterRef("licence"))
    )
    return (
        ConsumptionRecord.objects.visible_to(actor, Action.VIEW)
        .filter(company=actor.company)
        .select_related("licence", "sku", "created_by")
        .annotate(licence_key_visible=key_visible)
    )


def licence_file_latest(*, actor: Actor, activation_id: str, device_public_id) -> LicenceFile:
    """The newest licence file of a licence on a device: the one that supersedes the others.
    Downloading is a lifecycle action (owner, or a `manage` delegate)."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    if licence.is_suspended:
        # A suspended licence reaches no device: not even its newest file is handed out.
        raise LicenceSuspended()
    file = (
        LicenceFile.objects.visible_to(actor, Action.CHANGE)
        .filter(
            licence=licence,
            device__public_id=device_public_id,
            device__bindings__licence=licence,
            device__bindings__ended_at__isnull=True,
        )
        .select_related("licence")
        .first()
    )
    if file is None:
        raise NoLicenceFile()
    return file


def _as_reader(actor: Actor) -> Action:
    # A licence's history (devices, files) is installation data: the owner's and managing
    # delegates' (CHANGE), and vendor staff's (who see everything).
    return Action.VIEW if actor.is_vendor_staff else Action.CHANGE


ACTIVATION_HISTORY_ACTIONS = (
    AuditAction.LICENCE_ACTIVATED,
    AuditAction.LICENCE_DEACTIVATED,
    AuditAction.LICENCE_REHOSTED,
    AuditAction.LICENCE_RELEASED_ON_TRANSFER,
)
DEVICE_HISTORY_ACTIONS = (AuditAction.LICENCE_ASSIGNED, *ACTIVATION_HISTORY_ACTIONS)


def activation_history(*, actor: Actor, licence: Licence) -> list[AuditEvent]:
    """The latest activations, deactivations and rehosts of the licence (the licence's page
    links to its whole activity, paged), newest first, with device name, host id and client
    address: installation data, so only for those who may act on the licence (and vendor
    staff)."""
    if not licence.key_visible:
        return []
    events = events_of(licence).filter(action__in=ACTIVATION_HISTORY_ACTIONS).order_by("-pk")
    return owner_hidden(events[:100], owner_id=licence.owner_id, reader=actor)


def _owner_unnamed(events: QuerySet[AuditEvent], *, owner_id: int, reader: Actor):
    """`owner_hidden` in SQL, for a history read a page at a time: to a reader other than the
    owner, the owner's people and company are "The license owner" (`actor_label`)."""
    if reader.is_vendor_staff or (reader.company and reader.company.pk == owner_id):
        return events
    return events.annotate(
        actor_label=Case(
            When(actor_company=owner_id, then=Value("The license owner")),
            default=Value(""),
            output_field=CharField(),
        )
    )


def licence_activity(*, actor: Actor, activation_id: str):
    """The licence and its history (a queryset: pages read only their events)."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=_as_reader(actor))
    events = _owner_unnamed(events_of(licence), owner_id=licence.owner_id, reader=actor)
    return licence, events


def device_activity(*, actor: Actor, public_id):
    device = device_get(actor=actor, public_id=public_id, action=_as_reader(actor))
    assigned = AuditEvent.objects.filter(
        Q(action__in=DEVICE_HISTORY_ACTIONS, after__device=str(device.public_id))
        | Q(action__in=DEVICE_HISTORY_ACTIONS, before__device=str(device.public_id))
    )
    events = (events_of(device) | assigned).select_related("actor_user", "actor_company")
    return device, _owner_unnamed(events, owner_id=device.owner_id, reader=actor)


# --- Entitlement information: the truth about the licence today. ---


@dataclass(frozen=True)
class EntitlementRow:
    """One entitlement as a role sees it: once its credits created, renewed or grew a licence,
    that licence's current SKU, quantity, dates and status; before, what was fulfilled (and no
    status). Entitlement information only: nothing of the owner or the installation."""

    subscription_id: str
    product: str
    sku: str
    quantity: int
    start_date: date
    end_date: date
    po_number: str
    status: StatusAt | None
    # Not shown: which licence the row follows, and who sold the PO (purchaser, reseller).
    licence_id: int | None
    sold_by: frozenset[int]

    @property
    def valid_through(self) -> date:
        return units.valid_through(self.end_date)


_LICENCE = "licence__"


def entitlement_list(*, actor: Actor) -> QuerySet[EntitlementListRow]:
    """Every entitlement row the actor may see: one per Subscription ID and licence its credits
    went into — one per Subscription ID, unless its credits were split between licences
    (`row_licence` tells those rows apart; 0 before any licence). A role on the PO sees every
    row of the PO; a delegate, the rows of the licences it was given. Each row carries what it
    shows as `row_*`: once its credits created, renewed or grew a licence, that licence's
    product, SKU, quantity and dates (never the whole line's: a licence-scope delegate sees its
    licence's quantity); before, what was fulfilled. The rows are stored
    (`EntitlementListRow`, kept by the services), so a list sorts and pages on an index."""
    rows = EntitlementListRow.objects.visible_to(actor, Action.VIEW)
    if not actor.is_vendor_staff:
        rows = rows.annotate(
            on_po=ExpressionWrapper(
                po_roles(actor, "entitlement__po__"), output_field=BooleanField()
            )
        ).filter(
            Q(on_po=True)
            | Q(licence__isnull=True)
            | Q(licence__in=visible_ids(Licence, actor, Action.VIEW))
        )
    return rows.annotate(
        row_licence=F("licence_key"),
        row_product=F("product_name"),
        row_sku=F("sku_code"),
        row_quantity=F("quantity"),
        row_start=F("start_date"),
        row_end=F("end_date"),
        # Used only once funded: then the product is the licence's.
        row_warn_days=F("product__warn_days"),
        row_grace_days=F("product__grace_days"),
        row_po_number=F("po_number"),
        row_purchaser=F("entitlement__po__purchasing_entity"),
        row_reseller=F("entitlement__po__reseller"),
    )


def entitlement_row(entitlement: Entitlement, *, on: date | None = None) -> EntitlementRow:
    """One row of `entitlement_list` as it is shown. Statuses come from the dates and the
    product: a suspension is the vendor's and the owner's business."""
    funded = entitlement.row_licence != 0
    return EntitlementRow(
        subscription_id=entitlement.subscription_id,
        product=entitlement.row_product,
        sku=entitlement.row_sku,
        quantity=entitlement.row_quantity,
        start_date=entitlement.row_start,
        end_date=entitlement.row_end,
        po_number=entitlement.row_po_number,
        status=status_at(
            start=entitlement.row_start,
            end=entitlement.row_end,
            on=on or timezone.localdate(),
            warn_days=entitlement.row_warn_days,
            grace_days=entitlement.row_grace_days,
        )
        if funded
        else None,
        licence_id=entitlement.row_licence if funded else None,
        sold_by=frozenset(pk for pk in (entitlement.row_purchaser, entitlement.row_reseller) if pk),
    )


def entitlement_rows(*, actor: Actor) -> list[EntitlementRow]:
    """Every row of `entitlement_list`, latest end first (for the partner's expiries)."""
    today = timezone.localdate()
    rows = entitlement_list(actor=actor).order_by("-row_end", "-subscription_id", "row_licence")
    return [entitlement_row(row, on=today) for row in rows]


# --- The licence list: what the portal's Licenses page, the API's /licences and the CSV share.


def status_q(status: str, *, on: date, prefix: str = "", suspension: bool = True) -> Q:
    """The licences in `status` on day `on`, as a condition the database answers with each
    product's own warning and grace days (the catalog holds a handful of products). Without
    `suspension`, by the dates alone (an entitlement's status: a suspension is not shown)."""

    def q(**lookups) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    live = q(suspended_at__isnull=True) if suspension else Q()
    started = q(start_date__lte=on)
    if status == LicenceStatus.SUSPENDED:
        return ~live if suspension else Q(pk__in=[])
    if status == LicenceStatus.NOT_YET_VALID:
        return live & q(start_date__gt=on)
    by_product = Q(pk__in=[])
    for product in Product.objects.only("pk", "warn_days", "grace_days"):
        warn_until = on + timedelta(days=product.warn_days)
        grace_from = on - timedelta(days=product.grace_days)
        ends = {
            LicenceStatus.ACTIVE: q(end_date__gt=warn_until),
            LicenceStatus.EXPIRING: q(end_date__gt=on, end_date__lte=warn_until),
            LicenceStatus.GRACE: q(end_date__gt=grace_from, end_date__lte=on),
            LicenceStatus.EXPIRED: q(end_date__lte=grace_from),
        }[LicenceStatus(status)]
        by_product |= q(product=product.pk) & ends
    return live & started & by_product


def _licence_search(text: str) -> Q:
    """Product name, SKU code, Subscription ID; the Activation ID only where the reader may
    see it (`key_visible`), so that search is no oracle for another company's secret."""
    found = Q(product__name__icontains=text) | Q(sku__code__iexact=text)
    try:
        code = codes.normalize(text)
    except codes.CodeTypo:
        return found
    # A code is found through the unique columns first (the annotations beside them decide
    # whether this reader may find it): compared through the annotations alone, every row's
    # subquery would run (5–20 s over a million licences).
    paid = list(Entitlement.objects.filter(subscription_id=code).values_list("licence", flat=True))
    return Q(pk__in=[pk for pk in paid if pk], subscription=code) | Q(
        activation_id=code, key_visible=True
    )


def _licences_of_po(rows: QuerySet[Licence], number: str) -> QuerySet[Licence]:
    """The licences (already visible to the reader) that a PO of this number paid for."""
    paid = Entitlement.objects.filter(po__po_number__iexact=number.strip()).values("licence")
    return rows.filter(pk__in=paid)


LicenceStatusChoice = Literal[tuple(status.value for status in LicenceStatus)]  # type: ignore[misc]

LICENCES = Listing(
    search=_licence_search,
    search_hint="Product, SKU, Subscription ID or Activation ID",
    sorts={
        "end": Sort("Valid through", "end_date"),
        "start": Sort("Start", "start_date"),
        "product": Sort("Product", "product__name"),
        "quantity": Sort("Quantity", "quantity"),
        "created": Sort("Created", "created_at"),
    },
    default="end",
    filters={
        "status": Filter(
            "Status",
            LicenceStatusChoice,
            lambda rows, value: rows.filter(status_q(value, on=timezone.localdate())),
        ),
        "product": product_filter("product__code"),
        "ends_within": ends_within("end_date"),
        "po": Filter(
            "PO number",
            Annotated[str, Field(max_length=64, pattern=PRINTABLE)],
            lambda rows, number: _licences_of_po(rows, number),
        ),
    },
)


# --- The entitlement list: the portal's Entitlements page, the API's /entitlements, the CSV.


def _entitlement_search(text: str) -> Q:
    """What every reader of a row sees in it: its product and SKU as shown (the licence's, once
    its credits went into one), the PO number, the Subscription ID. A Subscription ID typed
    whole is looked up as one, through its unique column, as the licence search does: compared
    beside the other fields, every visible row was joined and compared (200 ms for a
    distributor's 200,000 rows), and a well-formed code is no product, SKU or PO number."""
    try:
        return Q(subscription_id=codes.normalize(text))
    except codes.CodeTypo:
        return (
            Q(row_product__icontains=text)
            | Q(row_sku__iexact=text)
            | Q(row_po_number__iexact=text.strip())
        )


def _entitlement_status(rows: QuerySet[Entitlement], status: str) -> QuerySet[Entitlement]:
    if status == UNUSED:
        return rows.filter(row_licence=0)
    return rows.filter(status_q(status, on=timezone.localdate(), prefix=_LICENCE, suspension=False))


UNUSED = "unused"
EntitlementStatusChoice = Literal[  # type: ignore[misc]
    (UNUSED, *(s.value for s in LicenceStatus if s is not LicenceStatus.SUSPENDED))
]

ENTITLEMENTS = Listing(
    search=_entitlement_search,
    search_hint="Subscription ID, product, SKU or PO number",
    sorts={
        "end": Sort("Valid through", "row_end"),
        "start": Sort("Start date", "row_start"),
        "subscription": Sort("Subscription ID", "subscription_id"),
        "product": Sort("Product", "row_product"),
        "quantity": Sort("Quantity", "row_quantity"),
        "po": Sort("PO number", "row_po_number"),
    },
    default="-end",
    filters={
        "status": Filter("Status", EntitlementStatusChoice, _entitlement_status),
        "product": product_filter("product__code"),
        "ends_within": ends_within("row_end"),
        "po": Filter(
            "PO number",
            Annotated[str, Field(max_length=64, pattern=PRINTABLE)],
            lambda rows, number: rows.filter(row_po_number__iexact=number.strip()),
        ),
    },
)


# --- Consumption history: the portal's Consumption History page, the API's /consumption, the CSV.


def _consumption_search(text: str) -> Q:
    """The SKU, or the licence's Activation ID where the reader may still see it."""
    found = Q(sku__code__iexact=text)
    try:
        code = codes.normalize(text)
    except codes.CodeTypo:
        return found
    return found | Q(licence__activation_id=code, licence_key_visible=True)


def _day(day: date, end: bool = False):
    return datetime.combine(
        day, time.max if end else time.min, tzinfo=timezone.get_current_timezone()
    )


SkuCode = Annotated[str, Field(max_length=40, pattern=r"^[-a-zA-Z0-9_.]+$")]
ConsumptionKind = Literal[tuple(ConsumptionRecord.Kind.values)]  # type: ignore[misc]
ConsumptionStatus = Literal[tuple(ConsumptionRecord.Status.values)]  # type: ignore[misc]

CONSUMPTION = Listing(
    search=_consumption_search,
    search_hint="Activation ID or SKU",
    sorts={"when": Sort("When", "created_at"), "credits": Sort("Credits", "credits")},
    default="-when",
    filters={
        "kind": Filter(
            "What",
            ConsumptionKind,
            lambda rows, kind: rows.filter(kind=kind),
            choices=ConsumptionRecord.Kind.choices,
        ),
        "status": Filter(
            "Status",
            ConsumptionStatus,
            lambda rows, status: rows.filter(status=status),
            choices=ConsumptionRecord.Status.choices,
        ),
        "sku": Filter("SKU", SkuCode, lambda rows, code: rows.filter(sku__code__iexact=code)),
        "since": Filter("From", date, lambda rows, day: rows.filter(created_at__gte=_day(day))),
        "until": Filter(
            "To", date, lambda rows, day: rows.filter(created_at__lte=_day(day, end=True))
        ),
    },
)


# --- The device list: the portal's Devices page, the API's /devices and the CSV.


def _device_search(text: str) -> Q:
    # Every part on the device's own columns, each with an index on PostgreSQL (licensing
    # 0005: trigrams for the texts, host ids upper-cased), so that a search reads only what
    # it finds, however large the fleet.
    return (
        Q(name__icontains=text)
        | Q(host_id__iexact=text.strip())
        | Q(location__icontains=text)
        | Q(product_id__in=products_named(text))
    )


DEVICES = Listing(
    search=_device_search,
    search_hint="Name, host id, location or product",
    sorts={
        "name": Sort("Name", "name"),
        "product": Sort("Product", "product__name"),
        "registered": Sort("Registered", "created_at"),
    },
    default="name",
    filters={
        "product": product_filter("product__code"),
        # "Add License to a device" and "download the new license file": the devices that
        # carry the licence or could (its product's). Only a licence of the devices' own
        # owner: another company's licence id says nothing, not even its product.
        "licence": Filter(
            "For license",
            uuid.UUID,
            lambda rows, public_id: rows.filter(
                product__licences__public_id=public_id, product__licences__owner=F("owner")
            ),
        ),
    },
)
