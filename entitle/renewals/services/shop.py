"""Ordering online from the vendor's shop, and applying the order once its voucher is redeemed.

The shop order is a direct-channel PO like any other: vendor staff fulfil it as they fulfil
every PO, which issues its voucher and mails the code to the buyer. Redeeming that voucher
(`locker.services.voucher_redeem`, which emits `VoucherRedeemed`) then renews the licence
with the voucher's credits (`shop_order_apply`, subscribed in `RenewalsConfig.ready()`).
"""

import secrets

from django.db import transaction
from django.utils import timezone

from entitle.core import idempotency, links, policy, statements, units
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import DomainError
from entitle.core.mail import send_after_commit
from entitle.core.policy import Action
from entitle.licensing.models import ConsumptionRecord
from entitle.licensing.selectors import licence_get
from entitle.licensing.services.licences import licence_create, licence_renew
from entitle.locker.models import Voucher
from entitle.orders.models import OrderLine
from entitle.orders.services import LineInput, po_place_online
from entitle.renewals.errors import NothingToOrder
from entitle.renewals.models import RenewalKind, ShopOrder
from entitle.renewals.selectors import renewal_kind


def _po_number() -> str:
    return f"SHOP-{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def shop_order_place(*, actor: Actor, activation_id: str, idempotency_key: str) -> ShopOrder:
    """Order one term of the licence's SKU, for its quantity, at the direct price: a
    direct-channel PO placed by the actor's company, for vendor staff to fulfil."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    if licence.is_suspended:
        raise NothingToOrder()
    key = idempotency.clean_key(idempotency_key)
    sku = licence.sku
    with transaction.atomic():
        earlier = idempotency.claim(
            company=actor.company,
            key=key,
            operation="renewals.shop_order",
            request_fingerprint=idempotency.fingerprint(licence=licence.activation_id),
        )
        if earlier is not None:
            return ShopOrder.objects.get(pk=earlier.result["shop_order"])
        po = po_place_online(
            actor=actor, po_number=_po_number(), lines=[LineInput(sku, licence.quantity)]
        )
        line = po.lines.get()
        order = ShopOrder.objects.create(
            po=po,
            licence=licence,
            company=actor.company,
            kind=renewal_kind(licence),
            placed_by=actor.user,
        )
        record(
            actor=actor,
            action=AuditAction.SHOP_ORDER_PLACED,
            obj=order,
            company=actor.company,
            after={
                "po_number": po.po_number,
                "activation_id": licence.activation_id,
                "kind": order.kind,
                "total": str(line.amount),
            },
        )
        idempotency.settle(company=actor.company, key=key, result={"shop_order": order.pk})
        send_after_commit(
            to=[actor.user.email],
            template="renewals/email/shop_order",
            context={
                "order": order,
                "line": line,
                "licence": licence,
                "link": links.portal_url("renewals:licence", licence.public_id),
            },
        )
    return order


# Asked at every redemption (almost always finding none): compiled once
# (entitle.core.statements), the policy's condition added per call. A PO has at most one shop
# order; the order's PO is the voucher's line's.
WAITING_ORDER = statements.Select(
    ShopOrder,
    related=("licence",),
    where=(
        # The table name comes from the model; every value is a parameter.
        f"t.po_id = (SELECT l.po_id FROM {OrderLine._meta.db_table} l WHERE l.id = %s) "  # noqa: S608
        "AND t.company_id = %s AND t.status = %s"
    ),
    lock=True,
)


def shop_order_apply(*, actor: Actor, voucher: Voucher) -> ShopOrder | None:
    """On `VoucherRedeemed`, inside the redemption's transaction, once the voucher's credits are
    in the locker: if a shop order of the redeeming company waited for this voucher, renew its
    licence (or create the new subscription) with them. If that is refused, the credits stay
    in the Digital Locker and the order says why."""
    allowed = policy.condition(ShopOrder, actor, Action.VIEW)
    if allowed is None:
        return None
    order = WAITING_ORDER.one(
        [voucher.line_id, actor.company.pk, ShopOrder.Status.PLACED.value], allowed=allowed
    )
    if order is None:
        return None
    key = f"shop-order-{order.public_id}"
    now = timezone.now()
    try:
        if order.kind == RenewalKind.RENEWAL:
            consumption = licence_renew(
                actor=actor,
                activation_id=order.licence.activation_id,
                terms=1,
                sku=voucher.sku,
                idempotency_key=key,
            )
        else:
            consumption = licence_create(
                actor=actor,
                sku=voucher.sku,
                quantity=order.licence.quantity,
                terms=1,
                idempotency_key=key,
            )
    except DomainError as error:
        order.mark_not_applied(now, error.message)
    else:
        if consumption.status == ConsumptionRecord.Status.FAILED:
            order.mark_not_applied(now, consumption.failure_reason)
        elif order.kind == RenewalKind.RENEWAL:
            order.mark_applied(
                now,
                "Renewed: valid through "
                f"{units.valid_through_text(consumption.details['new_end'])}.",
            )
        else:
            new = consumption.licence
            order.mark_applied(now, f"New license {new.activation_id}.", new_licence=new)
    order.save(update_fields=["status", "applied_at", "outcome", "new_licence"])
    record(
        actor=actor,
        action=AuditAction(f"shop_order.{order.status}"),
        obj=order,
        company=actor.company,
        before={"status": ShopOrder.Status.PLACED},
        after={"status": order.status, "outcome": order.outcome, "voucher": voucher.pk},
    )
    return order
