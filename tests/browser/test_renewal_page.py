import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import actor_of
from entitle.accounts.models import Company
from entitle.catalog.services import sku_create
from entitle.licensing.services.licences import licence_create
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.renewals.services.partners import partner_listing_save
from entitle.renewals.tests.conftest import subscription
from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def expiring(channel, skus):
    """A Data Center Expert licence sold by Northwind through Bluebird, ending in 20 days
    (a 20-day SKU): amber. The channel's companies are partners in the directory."""
    c, staff = channel.companies, channel.staff
    Company.objects.filter(pk__in=[c["purchasing"].pk, c["reseller"].pk, c["installer"].pk]).update(
        is_partner=True
    )
    for role, products in [("purchasing", ["dce", "pcns"]), ("reseller", ["dce"])]:
        channel.users[role].company.refresh_from_db()
        partner_listing_save(actor=actor_of(channel.users[role]), product_codes=products)
    short = sku_create(
        actor=None,
        product=skus["DCE-1Y"].product,
        code="DCE-20D",
        name="DCE, 20 days",
        term_days=20,
        partner_price="3.00",
    )
    po = po_record(
        actor=staff,
        po_number="PO-2002",
        po_email="orders@northwind.example",
        channel="partner",
        purchasing_entity=c["purchasing"],
        reseller=c["reseller"],
        owner=c["owner"],
        lines=[LineInput(short, 10)],
    )
    po_fulfil(actor=staff, public_id=po.public_id)
    owner = actor_of(channel.users["owner"])
    voucher_redeem(actor=owner, code=po.lines.get().voucher.code, idempotency_key="b-redeem")
    return licence_create(
        actor=owner, sku=short, quantity=5, terms=1, idempotency_key="b-create"
    ).licence


def test_the_renewal_page_of_an_amber_licence_and_each_option(page, expiring, channel):
    aid = expiring.activation_id
    northwind, bluebird = channel.companies["purchasing"], channel.companies["reseller"]
    log_in(page, "owner@example.com")
    page.get_by_role("navigation").get_by_role("link", name="Renewals").click()
    row = page.locator("#due").get_by_role("row").filter(has_text=aid)
    expect(row.locator(".badge-expiring")).to_have_text("Expiring: 20 days left")
    row.get_by_role("link", name="Renewal options").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Renew License {aid}")
    expect(page.locator("#licence-facts .badge-expiring")).to_have_text("Expiring: 20 days left")
    expect(page.locator("#option-request")).to_contain_text(
        "Recommended, as they sold you this license: Bluebird IT Resellers, Northwind"
    )
    expect(page.locator("#option-shop [data-total=direct]")).to_have_text("EUR 18.00")
    expect(page.locator("#option-shop [data-total=premium]")).to_have_text("+EUR 3.00")

    # 4. E-mail a partner.
    email = page.locator("#option-email")
    email.get_by_label("Partner", exact=True).select_option(str(northwind.pk))
    email.get_by_label("Your message").fill("Could you quote a renewal?")
    email.get_by_role("button", name="Send e-mail").click()
    expect(page.locator("#notices")).to_have_text("Your e-mail was sent to Northwind Distribution.")

    # 3. Find a partner and request renewal: the partner that sold it is chosen already.
    ask = page.locator("#option-request")
    expect(ask.get_by_label("Partner", exact=True)).to_have_value(str(bluebird.pk))
    ask.get_by_label("Message to the partner (optional)").fill("One more term, please.")
    ask.get_by_role("button", name="Request renewal").click()
    expect(page.locator("#notices")).to_have_text("Your request was sent to Bluebird IT Resellers.")
    expect(page.locator("#requests")).to_contain_text("To Bluebird IT Resellers")

    # 2. Order online from the shop.
    page.locator("#option-shop").get_by_role("link", name="Order online…").click()
    expect(page.locator(".confirm")).to_contain_text("DCE-20D × 5")
    page.get_by_role("button", name=re.compile("Place the order for EUR")).click()
    expect(page.locator("#notices")).to_contain_text("placed in the shop")
    expect(page.locator("#orders")).to_contain_text("Placed: waiting for its voucher")

    # 1. Renew with locker credits: the quote is on the page; renewing applies it.
    credits = page.locator("#option-credits")
    expect(credits.locator(".quote")).to_contain_text("5.00 credits")
    credits.get_by_role("button", name="Renew License").click()
    expect(page.locator("#notices")).to_contain_text("License renewed: valid through")
    expect(page.locator("#licence-facts [data-status]")).to_have_text("Active")

    to = {message.to[0]: message for message in mail.outbox}
    # Partners learn the Subscription ID, never the Activation ID (the owner's key).
    assert f"Subscription ID: {subscription(expiring)}" in to["purchasing@example.com"].body
    request = to["reseller@example.com"]
    assert "One more term, please." in request.body and "Acme" not in request.body
    assert aid not in to["purchasing@example.com"].body and aid not in request.body
    assert "from the shop" in to["owner@example.com"].subject
