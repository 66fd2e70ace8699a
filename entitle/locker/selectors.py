from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated

from django.db.models import Q, QuerySet
from django.utils import timezone
from pydantic import Field

from entitle.catalog.selectors import product_filter
from entitle.core import codes
from entitle.core.actor import Actor
from entitle.core.listing import PRINTABLE, Filter, Listing, Sort, choice_filter
from entitle.core.policy import Action, with_field_groups
from entitle.core.units import cents
from entitle.locker.errors import VoucherNotFound
from entitle.locker.models import LedgerEntry, Locker, Voucher


def voucher_list(*, actor: Actor) -> QuerySet[Voucher]:
    return with_field_groups(
        Voucher.objects.visible_to(actor, Action.VIEW).select_related(
            "sku__product", "line__po", "entitlement", "redeemed_by_company"
        ),
        actor,
    )


def voucher_get(*, actor: Actor, code: str) -> Voucher:
    """A voucher by its code (as typed: case, spaces and dashes do not matter)."""
    try:
        return voucher_list(actor=actor).get(code=codes.normalize(code))
    except (codes.CodeTypo, Voucher.DoesNotExist) as exc:
        raise VoucherNotFound() from exc


def po_vouchers(*, actor: Actor, po_public_id) -> QuerySet[Voucher]:
    """The vouchers of one PO that the actor may see, in line order."""
    return (
        voucher_list(actor=actor).filter(line__po__public_id=po_public_id).order_by("line__number")
    )


def locker_balances(*, actor: Actor) -> QuerySet[Locker]:
    """The actor's company's lockers, one per SKU, each with its `balance` (the sum of its
    entries, kept on the row)."""
    return (
        Locker.objects.visible_to(actor, Action.VIEW)
        .filter(company=actor.company)
        .select_related("sku__product")
        .order_by("sku__product__name", "sku__term_days")
    )


def credits_of(*, actor: Actor, sku) -> Decimal:
    """The actor's company's balance of one SKU's credits (0.00 with no locker yet)."""
    locker = locker_balances(actor=actor).filter(sku=sku).first()
    return locker.balance if locker else cents(0)


def ledger_list(*, actor: Actor, sku_code: str | None = None) -> QuerySet[LedgerEntry]:
    entries = (
        LedgerEntry.objects.visible_to(actor, Action.VIEW)
        .filter(locker__company=actor.company)
        .select_related("locker__sku", "voucher", "created_by")
    )
    if sku_code:
        entries = entries.filter(locker__sku__code=sku_code)
    return entries


# --- The lists: Digital Vouchers, the locker's balances and its ledger (portal, API, CSV).

SkuCode = Annotated[str, Field(max_length=40, pattern=r"^[-a-zA-Z0-9_.]+$")]
PoNumber = Annotated[str, Field(max_length=64, pattern=PRINTABLE)]


def _day(day: date, *, end: bool = False) -> datetime:
    return datetime.combine(
        day, time.max if end else time.min, tzinfo=timezone.get_current_timezone()
    )


def _voucher_search(text: str) -> Q:
    """What every reader of a voucher sees: its code, SKU, product, PO number and Subscription
    ID — never who redeemed it (the `redeemer` field group)."""
    found = (
        Q(sku__code__iexact=text)
        | Q(sku__product__name__icontains=text)
        | Q(line__po__po_number__iexact=text.strip())
    )
    try:
        code = codes.normalize(text)
    except codes.CodeTypo:
        return found
    return found | Q(code=code) | Q(entitlement__subscription_id=code)


VOUCHERS = Listing(
    search=_voucher_search,
    search_hint="Code, product, SKU, PO number or Subscription ID",
    sorts={
        "issued": Sort("Issued", "issued_at"),
        "credits": Sort("Credits", "credits"),
        "sku": Sort("SKU", "sku__code"),
        "po": Sort("PO number", "line__po__po_number"),
        "line": Sort("PO line", "line__number"),
    },
    default="-issued",
    filters={
        "status": choice_filter("Status", Voucher.Status, "status"),
        "product": product_filter("sku__product__code"),
        "sku": Filter("SKU", SkuCode, lambda rows, code: rows.filter(sku__code__iexact=code)),
        "po": Filter(
            "PO number",
            PoNumber,
            lambda rows, number: rows.filter(line__po__po_number__iexact=number.strip()),
        ),
    },
)
# One PO's vouchers (its page, and the fragment on the PO's page): in line order.
PO_VOUCHERS = replace(VOUCHERS, default="line")


BALANCES = Listing(
    search=lambda text: Q(sku__code__iexact=text) | Q(sku__product__name__icontains=text),
    search_hint="Product or SKU",
    sorts={
        "product": Sort("Product", "sku__product__name"),
        "sku": Sort("SKU", "sku__code"),
        "balance": Sort("Balance", "balance_cents"),
    },
    default="product",
    filters={
        "product": product_filter("sku__product__code"),
    },
)


LEDGER = Listing(
    search=lambda text: Q(reason__icontains=text) | Q(voucher__code=_code_or_blank(text)),
    search_hint="Reason or voucher code",
    sorts={"when": Sort("When", "created_at"), "amount": Sort("Credits", "amount")},
    default="-when",
    filters={
        "sku": Filter("SKU", SkuCode, lambda rows, code: rows.filter(locker__sku__code=code)),
        "kind": choice_filter("What", LedgerEntry.Kind, "kind"),
        "since": Filter("From", date, lambda rows, day: rows.filter(created_at__gte=_day(day))),
        "until": Filter(
            "To", date, lambda rows, day: rows.filter(created_at__lte=_day(day, end=True))
        ),
    },
)


def _code_or_blank(text: str) -> str:
    try:
        return codes.normalize(text)
    except codes.CodeTypo:
        return ""
