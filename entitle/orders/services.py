"""Recording and fulfilling purchase orders: vendor staff record and fulfil them; a company
places its own direct order when it orders online from the shop."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Sku
from entitle.core import codes, hooks
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.policy import Action, require_vendor_staff
from entitle.core.units import has_cents_only
from entitle.orders.errors import PoDuplicate, PoInvalid
from entitle.orders.events import PoFulfilled
from entitle.orders.models import Entitlement, EntitlementListRow, OrderLine, PurchaseOrder


@dataclass(frozen=True)
class LineInput:
    sku: Sku
    quantity: int
    unit_price: Decimal | str | None = None


def _line_problems(number: int, line: LineInput, channel: str) -> list[PoInvalid]:
    """What is wrong with one line; its field is `lines.<number>.<name>` (numbered from 1)."""
    problems = []
    if not isinstance(line.quantity, int) or line.quantity < 1:
        problems.append(
            PoInvalid(
                f"Line {number}: the quantity must be a whole number of at least 1.",
                field=f"lines.{number}.quantity",
            )
        )
    if line.unit_price not in (None, ""):
        try:
            price = Decimal(str(line.unit_price))
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or not has_cents_only(price) or price < 0:
            problems.append(
                PoInvalid(
                    f"Line {number}: the unit price must be zero or more, with at most two "
                    "decimals.",
                    field=f"lines.{number}.unit_price",
                )
            )
    return problems


def _clean_line(line: LineInput, channel: str) -> tuple[Sku, int, Decimal]:
    if line.unit_price in (None, ""):
        # Without a price on the order, the list price of the channel applies.
        price = line.sku.direct_price if channel == "direct" else line.sku.partner_price
    else:
        price = Decimal(str(line.unit_price))
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
    """Record a PO with its parties and lines, all or nothing (vendor staff)."""
    require_vendor_staff(actor)
    return _record(
        actor=actor,
        po_number=po_number,
        po_email=po_email,
        channel=channel,
        purchasing_entity=purchasing_entity,
        owner=owner,
        lines=lines,
        msa_reference=msa_reference,
        reseller=reseller,
        installer=installer,
        ordered_on=ordered_on,
    )


def po_place_online(*, actor: Actor, po_number: str, lines: list[LineInput]) -> PurchaseOrder:
    """The actor's company orders for itself from the vendor's shop: a direct PO at the direct
    price, mailed to the person ordering; vendor staff fulfil it like any other."""
    if not actor.is_authenticated:
        raise NotFound()
    return _record(
        actor=actor,
        po_number=po_number,
        po_email=actor.user.email,
        channel=PurchaseOrder.Channel.DIRECT,
        purchasing_entity=actor.company,
        owner=actor.company,
        lines=[LineInput(line.sku, line.quantity) for line in lines],
        placed_in="shop",
    )


def po_problems(
    *,
    po_number: str,
    po_email: str,
    channel: str,
    purchasing_entity: Company | None,
    owner: Company | None,
    lines: list[LineInput],
    reseller: Company | None = None,
) -> list[PoInvalid]:
    """Everything wrong with a PO about to be recorded, at once, each with the field it
    belongs to: the back office shows them all next to their fields; recording refuses the
    first."""
    problems = []
    if not (po_number or "").strip():
        problems.append(PoInvalid("Please enter the PO number.", field="po_number"))
    try:
        validate_email((po_email or "").strip().lower())
    except ValidationError:
        problems.append(PoInvalid("Please enter a valid PO email address.", field="po_email"))
    if channel not in PurchaseOrder.Channel.values:
        problems.append(PoInvalid("The channel must be partner or direct.", field="channel"))
    elif purchasing_entity is not None and owner is not None:
        if channel == PurchaseOrder.Channel.DIRECT and (
            purchasing_entity != owner or reseller is not None
        ):
            problems.append(
                PoInvalid(
                    "A direct order is placed by the owner itself, with no reseller.",
                    field="channel",
                )
            )
        if channel == PurchaseOrder.Channel.PARTNER and purchasing_entity == owner:
            problems.append(
                PoInvalid(
                    "A partner order is placed by a partner, not by the owner itself.",
                    field="channel",
                )
            )
    if any(party is not None and party.is_vendor for party in (purchasing_entity, owner)):
        problems.append(PoInvalid("The vendor cannot be a party to its own purchase order."))
    if not lines:
        problems.append(PoInvalid("A purchase order needs at least one line.", field="lines"))
    for number, line in enumerate(lines, start=1):
        problems += _line_problems(number, line, channel)
    return problems


def _record(
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
    placed_in: str = "",
) -> PurchaseOrder:
    problems = po_problems(
        po_number=po_number,
        po_email=po_email,
        channel=channel,
        purchasing_entity=purchasing_entity,
        owner=owner,
        reseller=reseller,
        lines=lines,
    )
    if problems:
        raise problems[0]
    po_number = po_number.strip()
    po_email = po_email.strip().lower()
    cleaned = [_clean_line(line, channel) for line in lines]
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
            action=AuditAction.PO_RECORDED,
            obj=po,
            company=purchasing_entity,
            after={
                **_po_state(po),
                "lines": [[sku.code, q, str(p)] for sku, q, p in cleaned],
                **({"placed_in": placed_in} if placed_in else {}),
            },
        )
    return po


def po_fulfil(*, actor: Actor, public_id) -> PurchaseOrder:
    """Make one entitlement per line; the locker then issues each line's voucher and mails the
    codes to the PO email (`PoFulfilled`). Fulfilling a fulfilled PO changes nothing and sends
    nothing."""
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
        entitlements = [
            Entitlement.objects.create(
                subscription_id=codes.generate(),
                po=po,
                line=line,
                sku=line.sku,
                quantity=line.quantity,
                start_date=start,
                end_date=start + timedelta(days=line.sku.term_days),
            )
            for line in po.lines.select_related("sku__product")
        ]
        EntitlementListRow.objects.bulk_create(
            [
                EntitlementListRow(
                    entitlement=entitlement,
                    subscription_id=entitlement.subscription_id,
                    product=entitlement.sku.product,
                    product_name=entitlement.sku.product.name,
                    sku_code=entitlement.sku.code,
                    quantity=entitlement.quantity,
                    start_date=entitlement.start_date,
                    end_date=entitlement.end_date,
                    po_number=po.po_number,
                )
                for entitlement in entitlements
            ]
        )
        before = _po_state(po)
        po.mark_fulfilled(now)
        po.save(update_fields=["status", "fulfilled_at"])
        record(
            actor=actor,
            action=AuditAction.PO_FULFILLED,
            obj=po,
            company=po.purchasing_entity,
            before=before,
            after={**_po_state(po), "subscriptions": [e.subscription_id for e in entitlements]},
        )
        hooks.emit(PoFulfilled(actor=actor, po=po, entitlements=entitlements, fulfilled_on=start))
    return po
