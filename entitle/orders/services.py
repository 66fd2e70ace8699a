"""Recording and fulfilling purchase orders (vendor staff)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from entitle.access.actor import Actor
from entitle.access.policy import Action
from entitle.accounts.models import Company
from entitle.catalog.models import Sku
from entitle.catalog.services import require_vendor_staff
from entitle.core import codes
from entitle.core.audit import record
from entitle.core.errors import NotFound
from entitle.core.mail import send_after_commit
from entitle.orders.errors import PoDuplicate, PoInvalid
from entitle.orders.models import Entitlement, OrderLine, PurchaseOrder


@dataclass(frozen=True)
class LineInput:
    sku: Sku
    quantity: int
    unit_price: Decimal | str | None = None


def _clean_line(number: int, line: LineInput, channel: str) -> tuple[Sku, int, Decimal]:
    if not isinstance(line.quantity, int) or line.quantity < 1:
        raise PoInvalid(f"Line {number}: the quantity must be a whole number of at least 1.")
    if line.unit_price in (None, ""):
        # Without a price on the order, the list price of the channel applies.
        price = line.sku.direct_price if channel == "direct" else line.sku.partner_price
    else:
        try:
            price = Decimal(str(line.unit_price))
        except InvalidOperation as exc:
            raise PoInvalid(f"Line {number}: the unit price must be a number.") from exc
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise PoInvalid(
            f"Line {number}: the unit price must be zero or more, with at most two decimals."
        )
    return line.sku, line.quantity, price


def _po_state(po: PurchaseOrder) -> dict:
    return {
        "po_number": po.po_number,
        "channel": po.channel,
        "status": po.status,
        "purchasing_entity": po.purchasing_entity_id,
        "reseller": po.reseller_id,
        "owner": po.owner_id,
        "installer": po.installer_id,
    }


def po_record(
    *,
    actor: Actor,
    po_number: str,
    po_email: str,
    channel: str,
    purchasing_entity: Company,
    owner: Company,
    lines: list[LineInput],
    msa_reference: str = "",
    reseller: Company | None = None,
    installer: Company | None = None,
    ordered_on: date | None = None,
) -> PurchaseOrder:
    """Record a PO with its parties and lines, all or nothing."""
    require_vendor_staff(actor)
    po_number = (po_number or "").strip()
    if not po_number:
        raise PoInvalid("Please enter the PO number.", field="po_number")
    po_email = (po_email or "").strip().lower()
    try:
        validate_email(po_email)
    except ValidationError as exc:
        raise PoInvalid("Please enter a valid PO email address.", field="po_email") from exc
    if channel not in PurchaseOrder.Channel.values:
        raise PoInvalid("The channel must be partner or direct.", field="channel")
    if channel == PurchaseOrder.Channel.DIRECT and (
        purchasing_entity != owner or reseller is not None
    ):
        raise PoInvalid(
            "A direct order is placed by the owner itself, with no reseller.", field="channel"
        )
    if channel == PurchaseOrder.Channel.PARTNER and purchasing_entity == owner:
        raise PoInvalid(
            "A partner order is placed by a partner, not by the owner itself.", field="channel"
        )
    if purchasing_entity.is_vendor or owner.is_vendor:
        raise PoInvalid("The vendor cannot be a party to its own purchase order.")
    if not lines:
        raise PoInvalid("A purchase order needs at least one line.", field="lines")
    cleaned = [_clean_line(n, line, channel) for n, line in enumerate(lines, start=1)]
    with transaction.atomic():
        try:
            with transaction.atomic():
                po = PurchaseOrder.objects.create(
                    po_number=po_number,
                    msa_reference=(msa_reference or "").strip(),
                    po_email=po_email,
                    channel=channel,
                    purchasing_entity=purchasing_entity,
                    reseller=reseller,
                    owner=owner,
                    installer=installer,
                    ordered_on=ordered_on or timezone.localdate(),
                    recorded_by=actor.user,
                )
        except IntegrityError as exc:
            raise PoDuplicate(field="po_number") from exc
        OrderLine.objects.bulk_create(
            OrderLine(po=po, number=n, sku=sku, quantity=quantity, unit_price=price)
            for n, (sku, quantity, price) in enumerate(cleaned, start=1)
        )
        record(
            actor=actor,
            action="po.recorded",
            obj=po,
            company=purchasing_entity,
            after={
                **_po_state(po),
                "lines": [[sku.code, q, str(p)] for sku, q, p in cleaned],
            },
        )
    return po


def po_fulfil(*, actor: Actor, public_id) -> PurchaseOrder:
    """Issue one voucher (and its entitlement) per line and mail the codes to the PO email.

    Fulfilling a fulfilled PO changes nothing and sends nothing."""
    from entitle.locker.services import voucher_issue

    require_vendor_staff(actor)
    with transaction.atomic():
        try:
            po = (
                PurchaseOrder.objects.visible_to(actor, Action.CHANGE)
                .select_for_update()
                .get(public_id=public_id)
            )
        except (PurchaseOrder.DoesNotExist, ValidationError) as exc:
            raise NotFound("No such purchase order.") from exc
        if po.is_fulfilled:
            return po
        now = timezone.now()
        start = timezone.localdate(now)
        issued = []
        for line in po.lines.select_related("sku__product"):
            entitlement = Entitlement.objects.create(
                subscription_id=codes.generate(),
                po=po,
                line=line,
                sku=line.sku,
                quantity=line.quantity,
                start_date=start,
                end_date=start + timedelta(days=line.sku.term_days),
            )
            issued.append(voucher_issue(actor=actor, line=line, entitlement=entitlement))
        before = _po_state(po)
        po.mark_fulfilled(now)
        po.save(update_fields=["status", "fulfilled_at"])
        record(
            actor=actor,
            action="po.fulfilled",
            obj=po,
            company=po.purchasing_entity,
            before=before,
            after={**_po_state(po), "vouchers": [v.pk for v in issued]},
        )
        send_after_commit(
            to=[po.po_email],
            template="orders/email/vouchers",
            context={
                "po": po,
                "vouchers": issued,
                "purchased_on": start,
                "portal_url": settings.PORTAL_URL,
            },
        )
    return po
