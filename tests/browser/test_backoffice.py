"""The back office in Chromium: record a PO (lines added with htmx, every error at once), fulfil
it after confirming, then suspend a licence with a reason."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import actor_of
from entitle.licensing.models import SigningKey
from entitle.licensing.services.licences import licence_create
from entitle.locker.services import voucher_redeem
from entitle.orders.models import PurchaseOrder
from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick(page, label: str, typed: str, company) -> None:
    """Type into a company picker, wait for the suggestions, take the one for `company`."""
    field = page.get_by_label(label, exact=True)
    field.fill(typed)
    expect(
        page.locator(f'#company-options option[value="{company.name} (#{company.pk})"]')
    ).to_have_count(1)
    field.fill(f"{company.name} (#{company.pk})")


def test_record_fulfil_and_suspend(page, channel, skus):
    c = channel.companies
    log_in(page, channel.users["vendor"].email)
    nav = page.get_by_role("navigation")
    nav.get_by_role("link", name="Purchase orders").click()
    page.get_by_role("link", name="Record a purchase order").click()

    page.get_by_label("PO email").fill("not-an-address")
    pick(page, "Purchasing entity", "north", c["purchasing"])
    pick(page, "Owner (licensee)", "acme", c["owner"])
    page.get_by_label("Line 1: SKU").select_option(label="DCE-1Y — Data Center Expert, 1 year")
    page.get_by_label("Line 1: Quantity").fill("4")
    page.get_by_role("button", name="Add a line").click()
    expect(page.locator("tr[data-line]")).to_have_count(2)
    expect(page.get_by_label("Line 1: Quantity")).to_have_value("4")  # kept
    page.get_by_label("Line 2: SKU").select_option(
        label="PCNS-1Y — PowerChute Network Shutdown, 1 year"
    )
    page.get_by_label("Line 2: Unit price").fill("1.234")
    page.get_by_role("button", name="Record", exact=True).click()

    # Every error at once, each next to its field.
    alerts = page.get_by_role("alert")
    expect(alerts).to_contain_text(
        [
            "Please enter the PO number.",
            "Please enter a valid PO email address.",
            "Please enter the quantity.",
            "Line 2: the unit price must be zero or more",
        ]
    )
    page.get_by_label("PO number").fill("WEB-7")
    page.get_by_label("PO email").fill("orders@northwind.example")
    page.get_by_label("Line 2: Quantity").fill("6")
    page.get_by_label("Line 2: Unit price").fill("")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("PO WEB-7 is recorded.")

    page.get_by_role("link", name="Fulfil…").click()
    expect(page.locator(".confirm")).to_contain_text("issues 2 digital vouchers")
    assert PurchaseOrder.objects.get(po_number="WEB-7").status == "recorded"
    page.get_by_role("button", name="Fulfil PO WEB-7").click()
    expect(page.get_by_role("status")).to_contain_text("is fulfilled")
    expect(page.locator("table").last).to_contain_text("Unredeemed")
    assert [m.to for m in mail.outbox][-1] == ["orders@northwind.example"]

    # The owner redeems and makes a licence; staff find it and suspend it, with a reason.
    po = PurchaseOrder.objects.get(po_number="WEB-7")
    owner = actor_of(channel.users["owner"])
    voucher_redeem(actor=owner, code=po.lines.get(number=1).voucher.code, idempotency_key="w")
    licence = licence_create(
        actor=owner, sku=skus["DCE-1Y"], quantity=4, terms=1, idempotency_key="w2"
    ).licence
    nav.get_by_role("link", name="Find").click()
    page.get_by_label("A company's name").fill(licence.activation_id.lower())
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=licence.activation_id).click()
    page.get_by_role("button", name="Suspend license").click()
    expect(page.get_by_role("alert")).to_have_text("Please give the reason for the suspension.")
    page.get_by_label("Reason").fill("Payment reversed")
    page.get_by_role("button", name="Suspend license").click()
    expect(page.get_by_role("status")).to_contain_text("is suspended")
    expect(page.locator("[data-status=suspended]")).to_be_visible()


def test_a_form_on_its_way_is_not_sent_twice(page, channel):
    log_in(page, channel.users["vendor"].email)
    page.goto("/backoffice/keys/")
    before = SigningKey.objects.count()
    held = []
    page.route("**/backoffice/keys/rotate/", lambda route: held.append(route))  # no answer yet
    # A second submit while the first waits for its answer, as a second click would send it.
    page.evaluate(
        "() => { const form = document.querySelector('form.confirm');"
        " form.requestSubmit(); setTimeout(() => form.requestSubmit(), 100); }"
    )
    page.wait_for_timeout(500)
    assert len(held) == 1
    held[0].continue_()
    expect(page.get_by_role("status")).to_contain_text("New signing key")
    assert SigningKey.objects.count() == before + 1
