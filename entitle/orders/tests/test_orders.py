from decimal import Decimal

import pytest
from django.core import mail

from conftest import actor_of
from entitle.core.errors import VendorStaffOnly
from entitle.orders import errors
from entitle.orders.models import Entitlement, PurchaseOrder
from entitle.orders.selectors import po_lookup
from entitle.orders.services import LineInput, po_fulfil, po_record


def test_fulfilment_issues_a_voucher_per_line_and_mails_the_po_email(partner_po):
    lines = list(partner_po.lines.order_by("number"))
    vouchers = [line.voucher for line in lines]
    assert [(v.sku.code, v.credits) for v in vouchers] == [
        ("DCE-1Y", Decimal("25.00")),
        ("PCNS-3Y", Decimal("10.00")),
    ]
    assert partner_po.status == PurchaseOrder.Status.FULFILLED
    [message] = mail.outbox
    assert message.to == ["orders@northwind.example"]
    assert "PO-1001" in message.subject
    for voucher in vouchers:
        assert voucher.code in message.body
        assert voucher.entitlement.subscription_id in message.body
        assert voucher.sku.product.name in message.body
    assert partner_po.fulfilled_at.strftime("%-d %B %Y") in message.body


def test_fulfilling_twice_issues_nothing_new(
    partner_po, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        po_fulfil(actor=channel.staff, public_id=partner_po.public_id)
    assert Entitlement.objects.count() == 2
    assert len(mail.outbox) == 1


def test_entitlement_dates_follow_the_sku_term(partner_po):
    dce = Entitlement.objects.get(sku__code="DCE-1Y")
    assert (dce.end_date - dce.start_date).days == 365
    assert dce.quantity == 25


def test_unit_price_defaults_to_the_channel_list_price(partner_po, skus):
    pcns = partner_po.lines.get(sku__code="PCNS-3Y")
    assert pcns.unit_price == skus["PCNS-3Y"].partner_price
    assert skus["PCNS-3Y"].direct_price == (
        skus["PCNS-3Y"].partner_price * Decimal("1.2")
    ).quantize(Decimal("0.01"))


def test_po_numbers_are_unique_per_purchasing_entity(partner_po, channel, skus):
    c = channel.companies
    base = dict(
        actor=channel.staff,
        po_number="PO-1001",
        po_email="x@example.com",
        channel="partner",
        owner=c["owner"],
        lines=[LineInput(skus["DCE-1Y"], 1)],
    )
    with pytest.raises(errors.PoDuplicate):
        po_record(purchasing_entity=c["purchasing"], **base)
    # Numbers that differ only in case are the same number.
    with pytest.raises(errors.PoDuplicate):
        po_record(purchasing_entity=c["purchasing"], **{**base, "po_number": "po-1001"})
    # Another purchasing entity may use the same number.
    po_record(purchasing_entity=c["reseller"], **base)


def test_a_po_is_looked_up_whatever_the_case_of_its_number(partner_po, channel):
    found = po_lookup(actor=actor_of(channel.users["purchasing"]), po_number=" po-1001 ")
    assert found == partner_po


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"po_number": " "}, "po_number"),
        ({"po_email": "nope"}, "po_email"),
        ({"channel": "retail"}, "channel"),
        ({"lines": []}, "lines"),
        ({"channel": "direct"}, "channel"),
    ],
)
def test_bad_orders_are_refused_whole(channel, skus, change, field):
    c = channel.companies
    order = dict(
        actor=channel.staff,
        po_number="PO-9",
        po_email="x@example.com",
        channel="partner",
        purchasing_entity=c["purchasing"],
        owner=c["owner"],
        lines=[LineInput(skus["DCE-1Y"], 1)],
    )
    with pytest.raises(errors.PoInvalid) as caught:
        po_record(**{**order, **change})
    assert caught.value.field == field
    assert not PurchaseOrder.objects.exists()


def test_bad_line_is_refused(channel, skus):
    c = channel.companies
    with pytest.raises(errors.PoInvalid, match="Line 2"):
        po_record(
            actor=channel.staff,
            po_number="PO-9",
            po_email="x@example.com",
            channel="partner",
            purchasing_entity=c["purchasing"],
            owner=c["owner"],
            lines=[LineInput(skus["DCE-1Y"], 1), LineInput(skus["DCE-1Y"], 0)],
        )
    assert not PurchaseOrder.objects.exists()


def test_only_vendor_staff_record_and_fulfil(channel, skus, partner_po):
    c = channel.companies
    with pytest.raises(VendorStaffOnly):
        po_record(
            actor=actor_of(channel.users["purchasing"]),
            po_number="PO-2",
            po_email="x@example.com",
            channel="partner",
            purchasing_entity=c["purchasing"],
            owner=c["owner"],
            lines=[LineInput(skus["DCE-1Y"], 1)],
        )
    with pytest.raises(VendorStaffOnly):
        po_fulfil(actor=actor_of(channel.users["owner"]), public_id=partner_po.public_id)
