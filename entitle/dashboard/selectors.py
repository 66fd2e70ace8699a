"""What Home shows each role: counts and monthly sums computed in SQL over bounded date
windows, and short lists (a few rows each, with a link to the full list). Every read starts
from `visible_to`, or from another app's selector that does.

The sums read up to hundreds of thousands of rows for the biggest companies, so they are kept
in the cache for `NUMBERS_SECONDS` per company and day (Home says how old they are); the short
lists are read on every visit. Which roles a company plays, which the navigation of every page
asks, is kept for `ROLES_SECONDS`."""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce

from django.core.cache import cache
from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Product
from entitle.catalog.selectors import product_list
from entitle.core import counters
from entitle.core.actor import Actor
from entitle.core.policy import Action
from entitle.licensing.arithmetic import StatusAt
from entitle.licensing.models import Binding, ConsumptionRecord, Device, Licence
from entitle.licensing.product_http import VALIDATIONS
from entitle.licensing.selectors import licence_list, licence_status
from entitle.locker.models import Locker, Voucher
from entitle.locker.selectors import locker_balances
from entitle.orders.models import Entitlement, PurchaseOrder
from entitle.renewals.models import RenewalRequest
from entitle.renewals.selectors import renewal_requests_received, renewal_requests_sent
from entitle.sharing.models import Delegation, Transfer
from entitle.sharing.selectors import delegations_held, transfer_list

# How far back "recently expired" looks: the same window as the Renewals tab.
RECENT_DAYS = 90
SHORT_LIST = 8
NUMBERS_SECONDS = 120
ROLES_SECONDS = 300


def today() -> date:
    return timezone.localdate()


def month_start(day: date, shift: int = 0) -> date:
    """The first day of the month `shift` months after `day`'s."""
    months = day.year * 12 + day.month - 1 + shift
    return date(months // 12, months % 12 + 1, 1)


def months(first: date, count: int) -> list[date]:
    return [month_start(first, n) for n in range(count)]


def _cached(key: str, compute: Callable):
    return cache.get_or_set(key, compute, NUMBERS_SECONDS)


# --- Which roles the actor's company plays: the navigation and Home follow them. ---


@dataclass(frozen=True)
class Roles:
    """What a company does in the portal. Roles are held per purchase order, so a company can
    be several at once; `customer` is also true of a new company that holds nothing yet."""

    staff: bool = False
    customer: bool = False
    purchaser: bool = False
    partner: bool = False
    installer: bool = False
    delegate: bool = False


def roles_of(actor: Actor) -> Roles:
    """Whether the company owns licences, credits or devices, sells, buys, installs or holds
    delegations: one query, then kept a few minutes (a tab that appears a little late hides
    nothing: every page checks access itself)."""
    if not actor.is_authenticated:
        return Roles()
    if actor.is_vendor_staff:
        return Roles(staff=True)
    return cache.get_or_set(f"home:roles:{actor.company.pk}", lambda: _roles(actor), ROLES_SECONDS)


def _roles(actor: Actor) -> Roles:
    me = OuterRef("pk")
    entitlements = Entitlement.objects.visible_to(actor, Action.VIEW)
    row = (
        Company.objects.visible_to(actor, Action.VIEW)
        .filter(pk=actor.company.pk)
        .annotate(
            role_owns=Exists(Licence.objects.visible_to(actor, Action.VIEW).filter(owner=me)),
            role_credits=Exists(Locker.objects.visible_to(actor, Action.VIEW).filter(company=me)),
            role_devices=Exists(Device.objects.visible_to(actor, Action.VIEW).filter(owner=me)),
            role_owner_on_po=Exists(entitlements.filter(po__owner=me)),
            role_resells=Exists(entitlements.filter(po__reseller=me)),
            role_installs=Exists(entitlements.filter(po__installer=me)),
            role_buys=Exists(
                PurchaseOrder.objects.visible_to(actor, Action.VIEW).filter(purchasing_entity=me)
            ),
            role_sells_on=Exists(
                PurchaseOrder.objects.visible_to(actor, Action.VIEW)
                .filter(purchasing_entity=me)
                .exclude(owner=me)
            ),
            role_delegated=Exists(
                Delegation.objects.visible_to(actor, Action.VIEW).active().filter(delegate=me)
            ),
            role_manages=Exists(
                Delegation.objects.visible_to(actor, Action.VIEW)
                .active()
                .filter(delegate=me, role=Delegation.Role.MANAGE)
            ),
        )
        .values(
            "is_partner",
            "role_owns",
            "role_credits",
            "role_devices",
            "role_owner_on_po",
            "role_resells",
            "role_installs",
            "role_buys",
            "role_sells_on",
            "role_delegated",
            "role_manages",
        )
        .first()
    )
    if row is None:
        return Roles()
    partner = row["is_partner"] or row["role_resells"] or row["role_sells_on"]
    installer = row["role_installs"] or row["role_manages"]
    holds = row["role_owns"] or row["role_credits"] or row["role_devices"]
    return Roles(
        # A company that only sells or installs has no locker or licences to show; a new
        # company, with no role yet, is a customer (it will redeem its first voucher).
        customer=holds or row["role_owner_on_po"] or not (partner or installer),
        purchaser=row["role_buys"],
        partner=partner,
        installer=installer,
        delegate=row["role_delegated"],
    )


# --- Licence statuses, counted in SQL with each product's own warning and grace days. ---


@dataclass(frozen=True)
class StatusCounts:
    not_yet_valid: int = 0
    expiring: int = 0
    grace: int = 0
    expired: int = 0
    suspended: int = 0

    def as_tiles(self) -> list[tuple[str, str, int]]:
        """(status as the badges name it, label, count)."""
        return [
            ("not yet valid", "Not yet valid", self.not_yet_valid),
            ("expiring", "Expiring", self.expiring),
            ("grace", "In grace", self.grace),
            ("expired", "Expired", self.expired),
            ("suspended", "Suspended", self.suspended),
        ]


def _any(conditions: list[Q]) -> Q:
    return reduce(operator.or_, conditions, Q(pk__in=[]))


def status_counts(rows: QuerySet, *, products: list[Product], on: date, prefix: str = ""):
    """How many of `rows` (licences, or rows with a licence at `prefix`) are in each status
    that needs attention on day `on`. Only a bounded window of end dates is read: those
    expiring, in grace or recently expired, plus the few not yet started or suspended."""
    if not products:
        return StatusCounts()

    def q(**lookups) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    live = q(suspended_at__isnull=True)
    started = q(start_date__lte=on)
    expiring, grace, expired = [], [], []
    for product in products:
        of = q(product=product.pk)
        warn_until = on + timedelta(days=product.warn_days)
        grace_from = on - timedelta(days=product.grace_days)
        expiring.append(of & q(end_date__gt=on, end_date__lte=warn_until))
        if product.grace_days:
            grace.append(of & q(end_date__gt=grace_from, end_date__lte=on))
        expired.append(
            of & q(end_date__lte=grace_from, end_date__gt=grace_from - timedelta(days=RECENT_DAYS))
        )
    longest_warn = max(p.warn_days for p in products)
    longest_grace = max(p.grace_days for p in products)
    # Two reads, each on its own index: the window of end dates that can be expiring, in
    # grace or recently expired; and the few licences not started yet or suspended.
    window = rows.filter(
        q(
            end_date__gt=on - timedelta(days=longest_grace + RECENT_DAYS),
            end_date__lte=on + timedelta(days=longest_warn),
        )
    ).aggregate(
        expiring=Count("pk", filter=live & started & _any(expiring)),
        grace=Count("pk", filter=live & started & _any(grace)),
        expired=Count("pk", filter=live & started & _any(expired)),
    )
    counts = {
        **window,
        **rows.filter(q(start_date__gt=on) | q(suspended_at__isnull=False)).aggregate(
            not_yet_valid=Count("pk", filter=live & q(start_date__gt=on)),
            suspended=Count("pk", filter=~live),
        ),
    }
    return StatusCounts(**counts)


def _count_by_day(rows: QuerySet, date_field: str, start: date, end: date) -> dict[date, int]:
    """Rows counted per day of `date_field` in [start, end), to be folded into months: a date
    column is grouped by itself (its index keeps it in order, at most a row per day comes
    back); a moment by its day in the portal's time zone."""
    if isinstance(rows.model._meta.get_field(date_field), DateTimeField):
        rows = rows.filter(
            **{f"{date_field}__gte": _moment(start), f"{date_field}__lt": _moment(end)}
        ).annotate(day=TruncDate(date_field))
        key = "day"
    else:
        rows = rows.filter(**{f"{date_field}__gte": start, f"{date_field}__lt": end})
        key = date_field
    counted = rows.values(key).annotate(total=Count("pk")).order_by()
    return {row[key]: row["total"] for row in counted}


def fold_months(per_day: dict[date, int], first: date, count: int) -> list[int]:
    """The numbers per month from `first`, from numbers per day."""
    totals = dict.fromkeys(months(first, count), 0)
    for day, number in per_day.items():
        key = month_start(day)
        if key in totals:
            totals[key] += number
    return list(totals.values())


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- The owner. ---


@dataclass(frozen=True)
class OwnerNumbers:
    statuses: StatusCounts
    licences: int
    ending: list[int]
    as_of: datetime


@dataclass
class OwnerBoard:
    numbers: OwnerNumbers
    balances: list
    transfers_in: list[Transfer]
    transfers_out: list[Transfer]
    answers: list[RenewalRequest]
    open_requests: int
    ending_months: list[date]
    soonest: list[Licence]


def _owner_numbers(actor: Actor, on: date) -> OwnerNumbers:
    mine = Licence.objects.visible_to(actor, Action.VIEW).filter(owner=actor.company)
    first = month_start(on)
    return OwnerNumbers(
        statuses=status_counts(mine, products=list(product_list(actor=actor)), on=on),
        licences=mine.count(),
        ending=fold_months(
            _count_by_day(mine, "end_date", first, month_start(first, 12)), first, 12
        ),
        as_of=timezone.now(),
    )


def owner_board(*, actor: Actor) -> OwnerBoard:
    on = today()
    answered_since = timezone.now() - timedelta(days=30)
    transfers = transfer_list(actor=actor).filter(status=Transfer.Status.PROPOSED)
    sent = renewal_requests_sent(actor=actor)
    return OwnerBoard(
        numbers=_cached(f"home:owner:{actor.company.pk}:{on}", lambda: _owner_numbers(actor, on)),
        balances=[locker for locker in locker_balances(actor=actor) if locker.balance > 0],
        transfers_in=list(transfers.filter(to_company=actor.company)[:SHORT_LIST]),
        transfers_out=list(transfers.filter(from_company=actor.company)[:SHORT_LIST]),
        answers=list(
            sent.filter(
                status=RenewalRequest.Status.ANSWERED, answered_at__gte=answered_since
            ).order_by("-answered_at")[:SHORT_LIST]
        ),
        open_requests=sent.filter(status=RenewalRequest.Status.OPEN).count(),
        ending_months=months(month_start(on), 12),
        # The next to need attention: ending soonest, not yet long gone.
        soonest=list(
            licence_list(actor=actor)
            .filter(owner=actor.company, end_date__gt=on - timedelta(days=RECENT_DAYS))
            .order_by("end_date", "pk")[:SHORT_LIST]
        ),
    )


# --- The partner: what it sold (entitlement information only) and who asks it to renew. ---

# From an entitlement to the licences its voucher's credits went into (as the Renewals tab).
PAID = "voucher__fundings__consumption__licence__"
PIPELINE_MONTHS = 6


def _sold(actor: Actor) -> QuerySet[Entitlement]:
    """The entitlements the actor's company sold (as purchasing entity or reseller), one row
    per licence their credits went into."""
    me = actor.company
    return (
        Entitlement.objects.visible_to(actor, Action.VIEW)
        .filter(Q(po__purchasing_entity=me) | Q(po__reseller=me))
        .filter(voucher__fundings__consumption__status=ConsumptionRecord.Status.COMPLETED)
    )


@dataclass(frozen=True)
class PartnerNumbers:
    ending: list[dict]
    ending_count: int
    pipeline_values: list[Decimal]
    pipeline_counts: list[int]
    as_of: datetime


@dataclass
class PartnerBoard:
    numbers: PartnerNumbers
    requests: list[RenewalRequest]
    open_requests: int
    pipeline_months: list[date]


def _partner_numbers(actor: Actor, on: date) -> PartnerNumbers:
    """Each licence sold that ends in the pipeline's months, counted once (a licence renewed
    through two of the partner's POs is one licence), with what renewing it for one term is
    worth at partner prices; and the entitlements ending soonest. One read."""
    first = month_start(on)
    value = ExpressionWrapper(
        F(f"{PAID}quantity") * F(f"{PAID}sku__partner_price"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    rows = list(
        _sold(actor)
        .filter(
            **{
                f"{PAID}end_date__gte": first,
                f"{PAID}end_date__lt": month_start(first, PIPELINE_MONTHS),
            }
        )
        .values(
            "subscription_id",
            paid=F(f"{PAID}id"),
            worth=value,
            po_number=F("po__po_number"),
            sku_code=F(f"{PAID}sku__code"),
            licence_quantity=F(f"{PAID}quantity"),
            licence_end=F(f"{PAID}end_date"),
        )
        .distinct()
        .order_by()
    )
    values = dict.fromkeys(months(first, PIPELINE_MONTHS), Decimal("0.00"))
    counts = dict.fromkeys(values, 0)
    seen = set()
    for row in rows:
        if row["paid"] in seen:
            continue
        seen.add(row["paid"])
        month = month_start(row["licence_end"])
        values[month] += row["worth"]
        counts[month] += 1
    ending = sorted(
        (row for row in rows if row["licence_end"] > on),
        key=lambda row: (row["licence_end"], row["subscription_id"]),
    )
    return PartnerNumbers(
        ending=[
            {
                key: row[key]
                for key in (
                    "subscription_id",
                    "po_number",
                    "sku_code",
                    "licence_quantity",
                    "licence_end",
                )
            }
            for row in ending[:SHORT_LIST]
        ],
        ending_count=len({row["paid"] for row in ending}),
        pipeline_values=list(values.values()),
        pipeline_counts=list(counts.values()),
        as_of=timezone.now(),
    )


def partner_board(*, actor: Actor) -> PartnerBoard:
    on = today()
    received = renewal_requests_received(actor=actor)
    return PartnerBoard(
        numbers=_cached(
            f"home:partner:{actor.company.pk}:{on}", lambda: _partner_numbers(actor, on)
        ),
        requests=list(received.filter(status=RenewalRequest.Status.OPEN)[:SHORT_LIST]),
        open_requests=received.filter(status=RenewalRequest.Status.OPEN).count(),
        pipeline_months=months(month_start(on), PIPELINE_MONTHS),
    )


# --- The installer: the devices it manages for its customers. ---


@dataclass(frozen=True)
class ManagedLicence:
    """A licence on a device the installer manages, as Home lists it."""

    device: str
    product: str
    applied_quantity: int
    valid_through: date
    status: StatusAt


@dataclass(frozen=True)
class InstallerNumbers:
    statuses: StatusCounts
    soonest: list[ManagedLicence]
    devices: int
    installs: int
    as_of: datetime


@dataclass
class InstallerBoard:
    numbers: InstallerNumbers


def _customers(actor: Actor) -> list[int]:
    """The companies that gave the actor's company their licences to manage. Narrowing the
    reads to their rows lets the database use its indexes; the policy still decides which."""
    return list(
        delegations_held(actor=actor)
        .active()
        .filter(role=Delegation.Role.MANAGE)
        .order_by()
        .values_list("owner", flat=True)
        .distinct()
    )


def _installer_numbers(actor: Actor, on: date, customers: list[int]) -> InstallerNumbers:
    managed = Licence.objects.visible_to(actor, Action.CHANGE).filter(owner__in=customers)
    soonest = (
        Binding.objects.visible_to(actor, Action.VIEW)
        .filter(licence__owner__in=customers)
        .select_related("device", "licence__product")
        .order_by("licence__end_date", "pk")[:SHORT_LIST]
    )
    return InstallerNumbers(
        statuses=status_counts(managed, products=list(product_list(actor=actor)), on=on),
        soonest=[
            ManagedLicence(
                device=binding.device.name,
                product=binding.licence.product.name,
                applied_quantity=binding.applied_quantity,
                valid_through=binding.licence.valid_through,
                status=licence_status(binding.licence, on),
            )
            for binding in soonest
        ],
        devices=Device.objects.visible_to(actor, Action.VIEW).filter(owner__in=customers).count(),
        installs=Entitlement.objects.visible_to(actor, Action.VIEW)
        .filter(po__installer=actor.company)
        .count(),
        as_of=timezone.now(),
    )


def installer_board(*, actor: Actor) -> InstallerBoard:
    on = today()
    return InstallerBoard(
        numbers=_cached(
            f"home:installer:{actor.company.pk}:{on}",
            lambda: _installer_numbers(actor, on, _customers(actor)),
        ),
    )


# --- Vendor staff. ---


@dataclass(frozen=True)
class StaffNumbers:
    awaiting_count: int
    unredeemed: int
    unredeemed_old: int
    expiries: list[int]
    renewals: list[int]
    as_of: datetime


@dataclass
class StaffBoard:
    numbers: StaffNumbers
    awaiting: list[PurchaseOrder]
    months: list[date]
    days: list[date]
    validations: list[int]


def _staff_numbers(actor: Actor, on: date) -> StaffNumbers:
    # Six months back and six ahead: what ended (or will) against what was renewed.
    first = month_start(on, -6)
    last = month_start(first, 12)
    unredeemed = Voucher.objects.visible_to(actor, Action.VIEW).filter(
        status=Voucher.Status.UNREDEEMED
    )
    renewed = ConsumptionRecord.objects.visible_to(actor, Action.VIEW).filter(
        kind=ConsumptionRecord.Kind.RENEW, status=ConsumptionRecord.Status.COMPLETED
    )
    return StaffNumbers(
        awaiting_count=PurchaseOrder.objects.visible_to(actor, Action.VIEW)
        .filter(status=PurchaseOrder.Status.RECORDED)
        .count(),
        unredeemed=unredeemed.count(),
        unredeemed_old=unredeemed.filter(issued_at__lt=timezone.now() - timedelta(days=30)).count(),
        expiries=fold_months(
            _count_by_day(Licence.objects.visible_to(actor, Action.VIEW), "end_date", first, last),
            first,
            12,
        ),
        renewals=fold_months(_count_by_day(renewed, "created_at", first, last), first, 12),
        as_of=timezone.now(),
    )


def staff_board(*, actor: Actor) -> StaffBoard:
    on = today()
    days = [on - timedelta(days=n) for n in range(29, -1, -1)]
    per_day = counters.daily(VALIDATIONS, days=days)  # counted by the validate endpoint
    return StaffBoard(
        numbers=_cached(f"home:staff:{on}", lambda: _staff_numbers(actor, on)),
        awaiting=list(
            PurchaseOrder.objects.visible_to(actor, Action.VIEW)
            .filter(status=PurchaseOrder.Status.RECORDED)
            .select_related("purchasing_entity")
            .order_by("recorded_at", "pk")[:SHORT_LIST]
        ),
        months=months(month_start(on, -6), 12),
        days=days,
        validations=[per_day.get(day, 0) for day in days],
    )
