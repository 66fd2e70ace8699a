from decimal import Decimal

from django.db.models import QuerySet

from entitle.core import codes
from entitle.core.actor import Actor
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
