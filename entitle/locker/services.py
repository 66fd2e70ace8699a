"""Vouchers and the Digital Locker: issuing, redeeming, and every change of credits."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Sku
from entitle.core import audit, codes, hooks, idempotency, ratelimit, statements
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.mail import send_after_commit
from entitle.core.policy import Action, require_vendor_staff
from entitle.core.units import cents, from_cents, in_cents
from entitle.locker.errors import (
    InsufficientCredits,
    VoucherAlreadyRedeemed,
    VoucherCodeRequired,
    VoucherCodeTypo,
    VoucherNotFound,
    VoucherVoid,
)
from entitle.locker.events import VoucherRedeemed
from entitle.locker.models import LedgerEntry, Locker, Voucher
from entitle.orders.models import Entitlement, OrderLine, PurchaseOrder


def vouchers_issue(
    *, actor: Actor, po: PurchaseOrder, entitlements: list[Entitlement], fulfilled_on: date
) -> None:
    """One voucher per entitlement of a PO being fulfilled (credits = the line's quantity), and
    one mail of their codes to the PO email. Runs inside `po_fulfil`'s transaction."""
    issued = [
        _voucher_issue(actor=actor, line=entitlement.line, entitlement=entitlement)
        for entitlement in entitlements
    ]
    send_after_commit(
        to=[po.po_email],
        template="locker/email/vouchers",
        context={
            "po": po,
            "vouchers": issued,
            "purchased_on": fulfilled_on,
            "portal_url": settings.PORTAL_URL,
        },
    )


def _voucher_issue(*, actor: Actor, line: OrderLine, entitlement: Entitlement) -> Voucher:
    voucher = Voucher.objects.create(
        code=codes.generate(),
        line=line,
        entitlement=entitlement,
        sku=line.sku,
        credits=cents(line.quantity),
    )
    record(
        actor=actor,
        action=AuditAction.VOUCHER_ISSUED,
        obj=voucher,
        company=line.po.purchasing_entity,
        after={"sku": line.sku.code, "credits": str(voucher.credits), "po": line.po.po_number},
    )
    return voucher


def _locker_sql() -> tuple[str, str, str]:
    t = Locker._meta.db_table
    returning = "RETURNING id, balance_cents, intake_cents"
    # Only the table's name (from the model) is formatted in; every value is a parameter.
    move = (
        f"UPDATE {t} SET balance_cents = balance_cents + %s "  # noqa: S608
        f"WHERE company_id = %s AND sku_id = %s AND balance_cents + %s >= 0 {returning}"
    )
    credit = (
        f"INSERT INTO {t} (company_id, sku_id, balance_cents, intake_cents) "  # noqa: S608
        "VALUES (%s, %s, %s, %s) ON CONFLICT (company_id, sku_id) DO UPDATE SET "
        f"balance_cents = {t}.balance_cents + excluded.balance_cents, "
        f"intake_cents = {t}.intake_cents + excluded.intake_cents {returning}"
    )
    balance = f"SELECT balance_cents FROM {t} WHERE company_id = %s AND sku_id = %s"  # noqa: S608
    return move, credit, balance


MOVE_SQL, CREDIT_SQL, BALANCE_SQL = _locker_sql()


# The vouchers whose place in the locker's intake, [offset, offset + credits), overlaps a debit.
PAYING_VOUCHERS = statements.Select(
    Voucher,
    # The PO too: its number goes into the Entitlements list's rows of a licence they fund.
    related=("entitlement__po",),
    where="t.redeemed_by_company_id = %s AND t.sku_id = %s AND t.status = %s "
    "AND t.locker_offset_cents < %s AND t.locker_offset_cents + t.credits * 100 > %s",
    order_by="t.locker_offset_cents",
)
# A voucher by its code, locked, with what an answer about it shows.
VOUCHER_BY_CODE = statements.Select(
    Voucher,
    related=("sku__product", "line__po", "entitlement", "redeemed_by_company"),
    where="t.code = %s",
    lock=True,
)


@dataclass(frozen=True)
class LedgerChange:
    entry: LedgerEntry
    balance: Decimal
    # Everything ever redeemed into the locker before this change: where a redeemed voucher's
    # credits start in the locker.
    intake_before: Decimal
    # How much of that had been spent: where a debit starts drawing on the locker's vouchers,
    # oldest first.
    spent_before: Decimal


def ledger_append(
    *,
    actor: Actor,
    company: Company,
    sku: Sku,
    kind: str,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    voucher: Voucher | None = None,
) -> LedgerChange:
    """Change the company's credits of `sku` by `amount` and append the entry that says so:
    the one way credits move, so the locker's stored balance is always the sum of its entries.

    One statement locks the locker row (creating it on the first credit), checks that a debit
    fits and moves the balance: concurrent changes of one locker queue on that row until the
    transaction ends, and the balance never goes below zero — a debit larger than the balance
    is refused whole (InsufficientCredits), writing nothing."""
    amount = cents(amount)
    moved = in_cents(amount)
    intake = moved if kind == LedgerEntry.Kind.REDEMPTION else 0
    with statements.cursor() as cursor:
        if intake:
            # Credits redeemed: the locker is created by its first redemption.
            cursor.execute(CREDIT_SQL, [company.pk, sku.pk, moved, intake])
        else:
            cursor.execute(MOVE_SQL, [moved, company.pk, sku.pk, moved])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(BALANCE_SQL, [company.pk, sku.pk])
            held = cursor.fetchone()
            raise InsufficientCredits(
                f"This needs {-amount} credits of {sku.code}; your Digital Locker has "
                f"{from_cents(held[0] if held else 0)}."
            )
    locker_id, balance_cents, intake_cents = row
    entry = LedgerEntry(
        locker_id=locker_id,
        kind=kind,
        amount=amount,
        voucher=voucher,
        reason=reason[:200],
        idempotency_key=idempotency_key,
        created_by=actor.user,
    )
    statements.insert([entry])
    record(
        actor=actor,
        action=AuditAction(f"ledger.{kind}"),
        obj=entry,
        company=company,
        after={"sku": sku.code, "amount": str(amount), "reason": entry.reason},
    )
    intake_before, balance_before = intake_cents - intake, balance_cents - moved
    return LedgerChange(
        entry=entry,
        balance=from_cents(balance_cents),
        intake_before=from_cents(intake_before),
        spent_before=from_cents(intake_before - balance_before),
    )


def vouchers_paying(
    *, company: Company, sku: Sku, spent_before: Decimal, credits: Decimal
) -> list[tuple[Voucher, Decimal]]:
    """The vouchers whose credits a debit of `credits` starting at `spent_before` (see
    `LedgerChange`) uses, each with its share: credits are spent in the order they came in, so
    these are the vouchers whose place in the locker's intake overlaps the debit — one indexed
    look-up, however many vouchers the locker ever took in. With their entitlements."""
    start, end = in_cents(spent_before), in_cents(spent_before + credits)
    shares = []
    for voucher in PAYING_VOUCHERS.all([company.pk, sku.pk, Voucher.Status.REDEEMED, end, start]):
        offset = voucher.locker_offset_cents
        used = min(end, offset + in_cents(voucher.credits)) - max(start, offset)
        if used > 0:
            shares.append((voucher, from_cents(used)))
    return shares


def _count_redeem_attempt(actor: Actor) -> None:
    limits = settings.ENTITLE
    message = "Too many voucher codes tried. Please wait a few minutes and try again."
    ratelimit.hit(
        f"redeem:user:{actor.user.pk}",
        limit=limits["REDEEM_RATE_USER"],
        window_seconds=600,
        message=message,
    )
    ratelimit.hit(
        f"redeem:company:{actor.company.pk}",
        limit=limits["REDEEM_RATE_COMPANY"],
        window_seconds=600,
        message=message,
    )


def voucher_redeem(*, actor: Actor, code: str | None, idempotency_key: str) -> Voucher:
    """Add a voucher's credits to the actor's company's Digital Locker, once, ever."""
    if not actor.is_authenticated:
        raise NotFound()
    if not (code or "").strip():
        raise VoucherCodeRequired(field="code")
    key = idempotency.clean_key(idempotency_key)
    _count_redeem_attempt(actor)
    try:
        code = codes.normalize(code)
    except codes.CodeTypo as exc:
        raise VoucherCodeTypo(field="code") from exc
    with transaction.atomic(), audit.batch():
        earlier = idempotency.claim(
            company=actor.company,
            key=key,
            operation="voucher.redeem",
            request_fingerprint=idempotency.fingerprint(code=code),
        )
        # Redeeming needs only the code: it is the bearer's proof, so this look-up does not
        # go through visible_to (nobody may *see* a voucher they have not redeemed yet).
        voucher = VOUCHER_BY_CODE.one([code])
        if voucher is None:
            raise VoucherNotFound(field="code")
        if earlier is not None:
            # The same request again (the fingerprint is the code's): its first answer.
            return voucher
        if voucher.status == Voucher.Status.REDEEMED:
            raise VoucherAlreadyRedeemed(field="code")
        if voucher.status == Voucher.Status.VOID:
            raise VoucherVoid(field="code")
        change = ledger_append(
            actor=actor,
            company=actor.company,
            sku=voucher.sku,
            kind=LedgerEntry.Kind.REDEMPTION,
            amount=voucher.credits,
            reason=f"Voucher {voucher.code} redeemed",
            idempotency_key=f"voucher:{voucher.pk}",
            voucher=voucher,
        )
        voucher.mark_redeemed(
            company=actor.company,
            user=actor.user,
            at=timezone.now(),
            locker_offset=change.intake_before,
        )
        voucher.save(
            update_fields=[
                "status",
                "redeemed_by_company",
                "redeemed_by",
                "redeemed_at",
                "locker_offset_cents",
            ]
        )
        record(
            actor=actor,
            action=AuditAction.VOUCHER_REDEEMED,
            obj=voucher,
            company=actor.company,
            before={"status": Voucher.Status.UNREDEEMED},
            after={"status": voucher.status, "credits": str(voucher.credits)},
        )
        # A voucher bought in the shop to renew a licence renews it now (the renewals app).
        hooks.emit(VoucherRedeemed(actor=actor, voucher=voucher))
    return voucher


def voucher_void(*, actor: Actor, voucher_id: int) -> Voucher:
    """Cancel an unredeemed voucher (vendor staff)."""
    require_vendor_staff(actor)
    with transaction.atomic():
        try:
            voucher = (
                Voucher.objects.visible_to(actor, Action.CHANGE)
                .select_for_update()
                .get(pk=voucher_id)
            )
        except Voucher.DoesNotExist as exc:
            raise NotFound("No such voucher.") from exc
        if voucher.status == Voucher.Status.REDEEMED:
            raise VoucherAlreadyRedeemed("A redeemed voucher cannot be voided.")
        if voucher.status == Voucher.Status.UNREDEEMED:
            voucher.mark_void(timezone.now())
            voucher.save(update_fields=["status", "voided_at"])
            record(
                actor=actor,
                action=AuditAction.VOUCHER_VOIDED,
                obj=voucher,
                company=voucher.line.po.purchasing_entity,
                before={"status": Voucher.Status.UNREDEEMED},
                after={"status": voucher.status},
            )
    return voucher
