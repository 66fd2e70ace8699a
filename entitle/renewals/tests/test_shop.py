"""Ordering online from the shop: a direct PO, fulfilled by vendor staff as any other, whose
voucher renews the licence once redeemed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from conftest import actor_of
from entitle.licensing.models import Licence
from entitle.licensing.services.licences import licence_create, licence_suspend
from entitle.locker.services import voucher_redeem
from entitle.orders.models import PurchaseOrder
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.renewals.errors import NothingToOrder
from entitle.renewals.services.shop import shop_order_place
from entitle.renewals.tests.conftest import on


def fulfil_and_redeem(order, staff, redeemer, capture, key="redeem"):
    with capture(execute=True):
        po_fulfil(actor=staff, public_id=order.po.public_id)
    code = order.po.lines.get().voucher.code
    return voucher_redeem(actor=redeemer, code=code, idempotency_key=key)


def test_order_online_places_a_direct_po_at_the_direct_price(
    licence, owner_credits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = shop_order_place(
            actor=owner_credits, activation_id=licence.activation_id, idempotency_key="o1"
        )
    po = order.po
    assert (po.channel, po.purchasing_entity, po.owner) == ("direct", licence.owner, licence.owner)
    assert po.po_email == "owner@example.com" and po.po_number.startswith("SHOP-")
    [line] = po.lines.all()
    assert (line.sku, line.quantity) == (licence.sku, 10)
    assert line.unit_price == Decimal("48.00") == licence.sku.partner_price * Decimal("1.20")
    assert (order.kind, order.status) == ("renewal", "placed")
    [confirmation] = [m for m in mail.outbox if "from the shop" in m.subject]
    assert "Total:            480.00" in confirmation.body
    again = shop_order_place(
        actor=owner_credits, activation_id=licence.activation_id, idempotency_key="o1"
    )
    assert again == order and PurchaseOrder.objects.filter(channel="direct").count() == 1


def test_redeeming_the_orders_voucher_renews_the_licence(
    licence, owner_credits, channel, django_capture_on_commit_callbacks
):
    end = licence.end_date
    order = shop_order_place(
        actor=owner_credits, activation_id=licence.activation_id, idempotency_key="o2"
    )
    fulfil_and_redeem(order, channel.staff, owner_credits, django_capture_on_commit_callbacks)
    licence.refresh_from_db()
    order.refresh_from_db()
    assert licence.end_date == end + timedelta(days=365)
    assert (order.status, order.outcome) == (
        "applied",
        f"Renewed: valid through {licence.valid_through.day} {licence.valid_through:%b %Y}.",
    )


def test_an_expired_secure_nmc_is_replaced_by_a_new_subscription(
    channel, skus, django_capture_on_commit_callbacks
):
    owner = actor_of(channel.users["owner"])
    staff = channel.staff
    with django_capture_on_commit_callbacks(execute=True):
        po = po_record(
            actor=staff,
            po_number="NMC-1",
            po_email="owner@example.com",
            channel="direct",
            purchasing_entity=channel.companies["owner"],
            owner=channel.companies["owner"],
            lines=[LineInput(skus["SECURE-NMC-1Y"], 2)],
        )
        po_fulfil(actor=staff, public_id=po.public_id)
    voucher_redeem(actor=owner, code=po.lines.get().voucher.code, idempotency_key="first")
    old = licence_create(
        actor=owner, sku=skus["SECURE-NMC-1Y"], quantity=2, terms=1, idempotency_key="c"
    ).licence
    with on(old.end_date + timedelta(days=3)):
        order = shop_order_place(actor=owner, activation_id=old.activation_id, idempotency_key="o")
        assert order.kind == "new_subscription"
        fulfil_and_redeem(order, staff, owner, django_capture_on_commit_callbacks, key="second")
    order.refresh_from_db()
    new = order.new_licence
    assert order.status == "applied" and new.activation_id != old.activation_id
    assert (new.sku, new.quantity, new.start_date) == (old.sku, 2, old.end_date + timedelta(days=3))
    assert Licence.objects.get(pk=old.pk).end_date == old.end_date


def test_a_voucher_redeemed_by_another_company_leaves_the_order_waiting(
    licence, owner_credits, channel, django_capture_on_commit_callbacks
):
    order = shop_order_place(
        actor=owner_credits, activation_id=licence.activation_id, idempotency_key="o3"
    )
    someone = actor_of(channel.users["unrelated"])
    fulfil_and_redeem(order, channel.staff, someone, django_capture_on_commit_callbacks)
    order.refresh_from_db()
    licence.refresh_from_db()
    assert order.status == "placed"
    assert licence.end_date == licence.start_date + timedelta(days=365)


def test_when_the_renewal_is_refused_the_credits_stay_in_the_locker(
    licence, owner_credits, channel, django_capture_on_commit_callbacks
):
    order = shop_order_place(
        actor=owner_credits, activation_id=licence.activation_id, idempotency_key="o4"
    )
    licence_suspend(actor=channel.staff, activation_id=licence.activation_id, reason="Audit")
    voucher = fulfil_and_redeem(
        order, channel.staff, owner_credits, django_capture_on_commit_callbacks
    )
    order.refresh_from_db()
    assert order.status == "not_applied" and "suspended" in order.outcome
    assert voucher.status == "redeemed"
    with pytest.raises(NothingToOrder):
        shop_order_place(
            actor=owner_credits, activation_id=licence.activation_id, idempotency_key="o5"
        )
