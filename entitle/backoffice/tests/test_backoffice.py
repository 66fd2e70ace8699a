"""The back office in the portal: vendor staff only; every action through its service."""

import pytest
from django.core import mail

from entitle.catalog.models import Sku
from entitle.core.models import AuditEvent
from entitle.licensing.models import Licence, SigningKey
from entitle.licensing.services.licences import licence_create
from entitle.licensing.signing import current_key
from entitle.locker.models import Voucher
from entitle.orders.models import PurchaseOrder

PAGES = [
    "/backoffice/",
    "/backoffice/orders/",
    "/backoffice/orders/new/",
    "/backoffice/vouchers/",
    "/backoffice/licences/",
    "/backoffice/devices/",
    "/backoffice/companies/",
    "/backoffice/catalog/",
    "/backoffice/keys/",
]


def label(company) -> str:
    return f"{company.name} (#{company.pk})"


def po_form(channel, skus, **changes) -> dict:
    c = channel.companies
    form = {
        "action": "record",
        "po_number": "BO-1",
        "po_email": "buyer@example.com",
        "channel": "partner",
        "msa_reference": "",
        "purchasing_entity": label(c["purchasing"]),
        "reseller": "",
        "owner": c["owner"].name,  # a name only one company has is enough
        "installer": "",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-sku": skus["DCE-1Y"].pk,
        "lines-0-quantity": "3",
        "lines-1-sku": "",
        "lines-1-quantity": "",
        "lines-2-sku": skus["PCNS-1Y"].pk,
        "lines-2-quantity": "5",
        "lines-2-unit_price": "15.00",
    }
    return {**form, **changes}


def test_only_vendor_staff_reach_the_back_office(channel, login):
    staff = login(channel.users["vendor"])
    for page in PAGES:
        assert staff.get(page).status_code == 200, page
    owner = login(channel.users["owner"])
    for page in PAGES:
        assert owner.get(page).status_code == 403, page
    assert "Back office" not in owner.get("/").content.decode()


def test_record_a_po_with_any_number_of_lines(channel, skus, login):
    staff = login(channel.users["vendor"])
    done = staff.post("/backoffice/orders/new/", po_form(channel, skus), follow=True)
    assert "PO BO-1 is recorded." in done.content.decode()
    po = PurchaseOrder.objects.get(po_number="BO-1")
    lines = [(line.sku.code, line.quantity, str(line.unit_price)) for line in po.lines.all()]
    # The empty middle row is left out; an empty price is the channel's list price.
    assert lines == [("DCE-1Y", 3, "40.00"), ("PCNS-1Y", 5, "15.00")]
    assert po.owner == channel.companies["owner"]


def test_every_error_of_a_po_shows_at_once_next_to_its_field(channel, skus, login):
    staff = login(channel.users["vendor"])
    answer = staff.post(
        "/backoffice/orders/new/",
        po_form(
            channel,
            skus,
            po_number="",
            po_email="not-an-address",
            owner="Nobody Of That Name",
            **{"lines-0-quantity": "0", "lines-1-quantity": "2", "lines-2-unit_price": "1.234"},
        ),
    )
    assert answer.status_code == 422
    page = answer.content.decode()
    for message in [
        "Please enter the PO number.",
        "Please enter a valid PO email address.",
        "No company is called Nobody Of That Name.",
        "Choose the SKU of this line.",
        "Line 1: the quantity must be a whole number of at least 1.",
        "Line 2: the unit price must be zero or more, with at most two decimals.",
    ]:
        assert message in page, message
    assert not PurchaseOrder.objects.exists()
    # What was typed stays in the form.
    assert 'value="not-an-address"' in page


def test_lines_are_added_and_removed_keeping_what_was_typed(channel, skus, login):
    staff = login(channel.users["vendor"])
    added = staff.post(
        "/backoffice/orders/new/",
        po_form(channel, skus, action="add"),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert added.count("<tr data-line=") == 4
    assert 'name="lines-2-unit_price" value="15.00"' in added
    assert "<html" not in added  # only the lines, for htmx to swap
    removed = staff.post(
        "/backoffice/orders/new/", po_form(channel, skus, action="remove-0")
    ).content.decode()
    assert removed.count("<tr data-line=") == 2
    assert 'name="lines-1-unit_price" value="15.00"' in removed  # the PCNS line moved up
    assert 'value="BO-1"' in removed  # without htmx, the whole form comes back


def test_company_pickers_suggest_by_name(channel, login):
    staff = login(channel.users["vendor"])
    options = staff.get("/backoffice/orders/companies/", {"owner": "acme"}).content.decode()
    assert f'value="{label(channel.companies["owner"])}"' in options
    assert "Northwind" not in options


def test_fulfil_asks_first_then_mails_the_vouchers(
    channel, skus, login, django_capture_on_commit_callbacks
):
    staff = login(channel.users["vendor"])
    staff.post("/backoffice/orders/new/", po_form(channel, skus))
    po = PurchaseOrder.objects.get(po_number="BO-1")
    confirm = staff.get(f"/backoffice/orders/{po.public_id}/fulfil/").content.decode()
    assert "Please confirm" in confirm and "buyer@example.com" in confirm
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECORDED  # looking changes nothing
    assert staff.get(f"/backoffice/orders/{po.public_id}/fulfil/confirmed/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        done = staff.post(f"/backoffice/orders/{po.public_id}/fulfil/confirmed/", follow=True)
    assert "is fulfilled: its vouchers were mailed to buyer@example.com" in done.content.decode()
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]
    # Twice is once: no second mail.
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/backoffice/orders/{po.public_id}/fulfil/confirmed/")
    assert len(mail.outbox) == 1


def test_void_a_voucher_after_confirming(channel, login, partner_po):
    voucher = Voucher.objects.filter(line__po=partner_po).first()
    staff = login(channel.users["vendor"])
    page = staff.get(f"/backoffice/vouchers/{voucher.pk}/").content.decode()
    assert "This cannot be undone" in page
    done = staff.post(f"/backoffice/vouchers/{voucher.pk}/void/", follow=True).content.decode()
    assert "can no longer be redeemed" in done
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.VOID


def test_suspend_and_reinstate_with_a_reason(channel, skus, login, owner_credits):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="s"
    ).licence
    staff = login(channel.users["vendor"])
    url = f"/backoffice/licences/{licence.public_id}/"
    refused = staff.post(url + "suspend/", {"suspend-reason": " "})
    assert refused.status_code == 422
    assert "Please give the reason for the suspension." in refused.content.decode()
    staff.post(url + "suspend/", {"suspend-reason": "Chargeback"})
    licence.refresh_from_db()
    assert licence.suspension_reason == "Chargeback"
    assert staff.post(url + "reinstate/", {"reinstate-reason": ""}).status_code == 422
    staff.post(url + "reinstate/", {"reinstate-reason": "Paid after all"})
    licence.refresh_from_db()
    assert not licence.is_suspended
    reinstated = AuditEvent.objects.get(action="licence.reinstated")
    assert reinstated.after["reason"] == "Paid after all"


def test_rotate_the_signing_keys(channel, login):
    first = current_key().kid
    staff = login(channel.users["vendor"])
    done = staff.post("/backoffice/keys/rotate/", follow=True).content.decode()
    new = SigningKey.objects.get(is_current=True)
    assert new.kid != first and f"New signing key {new.kid}" in done
    assert first in done  # the old key stays listed, retired


def test_manage_the_catalog(channel, skus, login):
    staff = login(channel.users["vendor"])
    sku = skus["DCE-1Y"]
    bad = staff.post(
        f"/backoffice/catalog/skus/{sku.code}/",
        {"name": sku.name, "partner_price": "12.345", "is_active": "on"},
    )
    assert "at most two decimal places" in bad.content.decode()
    staff.post(
        f"/backoffice/catalog/skus/{sku.code}/", {"name": "DCE one year", "partner_price": "45.00"}
    )
    sku = Sku.objects.get(pk=sku.pk)
    assert (sku.name, str(sku.partner_price), sku.is_active) == ("DCE one year", "45.00", False)
    assert sku.term_days == 365  # the term stays
    staff.post(
        "/backoffice/catalog/products/new/",
        {
            "code": "edge",
            "name": "Edge Monitor",
            "quantity_unit": "sensors",
            "grace_days": "14",
            "warn_days": "30",
            "reminder_days": "90, 30, 0",
        },
    )
    staff.post(
        "/backoffice/catalog/skus/new/",
        {
            "product": skus["DCE-1Y"].product.pk,
            "code": "DCE-2Y",
            "term_days": "730",
            "partner_price": "70.00",
            "is_active": "on",
        },
    )
    page = staff.get("/backoffice/catalog/").content.decode()
    assert "Edge Monitor" in page and "DCE-2Y" in page and "EUR 70.00" in page


@pytest.mark.parametrize("query", ["acme", "PO-1001"])
def test_find_any_company_or_po(channel, login, partner_po, query):
    page = login(channel.users["vendor"]).get("/backoffice/", {"q": query}).content.decode()
    assert "Acme Data Centres" in page or "PO PO-1001" in page


def test_find_a_licence_by_its_activation_id_typed_loosely(channel, skus, login, owner_credits):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="f"
    ).licence
    typed = licence.activation_id.replace("-", " ").lower()
    page = login(channel.users["vendor"]).get("/backoffice/", {"q": typed}).content.decode()
    assert f"/backoffice/licences/{licence.public_id}/" in page
    assert Licence.objects.count() == 1
