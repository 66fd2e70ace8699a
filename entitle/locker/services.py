"""Vouchers and the Digital Locker: issuing, redeeming, and every change of credits."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Sku
from entitle.core import codes, hooks, idempotency, ratelimit
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.mail import send_after_commit
from entitle.core.policy import Action, require_vendor_staff
from entitle.core.units import cents
from entitle.locker.errors import (
    InsufficientCredits,
    VoucherAlreadyRedeemed,
    VoucherCodeRequired,
    VoucherCodeTypo,
    VoucherNotFound,
    VoucherVoid,
)
from entitle.locker.events import VoucherRedeemed
from entitle.locker.models import ZERO, LedgerEntry, Locker, Voucher
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


def locker_for_update(*, company: Company, sku: Sku) -> Locker:
    """The company's locker for `sku`, created if need be, locked until the transaction ends:
    every change of its credits is serialised here."""
    locker, _ = Locker.objects.get_or_create(company=company, sku=sku)
    return Locker.objects.select_for_update().get(pk=locker.pk)


def locker_balance(locker: Locker) -> Decimal:
    total = locker.entries.aggregate(total=Sum("amount"))["total"]
    return cents(total or ZERO)


def ledger_append(
    *,
    actor: Actor,
    locker: Locker,
    kind: str,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    voucher: Voucher | None = None,
) -> LedgerEntry:
    """Add one entry to a locker that the caller holds locked (`locker_for_update`).

    The balance never goes below zero: a debit larger than the balance is refused whole."""
    amount = cents(amount)
    if amount < 0 and locker_balance(locker) + amount < 0:
        raise InsufficientCredits()
    entry = LedgerEntry.objects.create(
        locker=locker,
        kind=kind,
        amount=amount,
        voucher=voucher,
        reason=reason[:200],
        idempotency_key=idempotency_key,
        created_by=actor.user,
    )
    record(
        actor=actor,
        action=AuditAction(f"ledger.{kind}"),
        obj=entry,
        company=locker.company,
        after={"sku": locker.sku.code, "amount": str(amount), "reason": entry.reason},
    )
    return entry


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
    with transaction.atomic():
        earlier = idempotency.claim(
            company=actor.company,
            key=key,
            operation="voucher.redeem",
            request_fingerprint=idempotency.fingerprint(code=code),
        )
        if earlier is not None:
            return Voucher.objects.get(pk=earlier.result["voucher"])
        try:
            # Redeeming needs only the code: it is the bearer's proof, so this look-up does not
            # go through visible_to (nobody may *see* a voucher they have not redeemed yet).
            voucher = Voucher.objects.select_for_update().select_related("sku").get(code=code)
        except Voucher.DoesNotExist as exc:
            raise VoucherNotFound(field="code") from exc
        if voucher.status == Voucher.Status.REDEEMED:
            raise VoucherAlreadyRedeemed(field="code")
        if voucher.status == Voucher.Status.VOID:
            raise VoucherVoid(field="code")
        now = timezone.now()
        voucher.mark_redeemed(company=actor.company, user=actor.user, at=now)
        voucher.save(update_fields=["status", "redeemed_by_company", "redeemed_by", "redeemed_at"])
        locker = locker_for_update(company=actor.company, sku=voucher.sku)
        ledger_append(
            actor=actor,
            locker=locker,
            kind=LedgerEntry.Kind.REDEMPTION,
            amount=voucher.credits,
            reason=f"Voucher {voucher.code} redeemed",
            idempotency_key=f"voucher:{voucher.pk}",
            voucher=voucher,
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
        idempotency.settle(company=actor.company, key=key, result={"voucher": voucher.pk})
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
