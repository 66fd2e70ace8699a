"""The renewal page per product and status, its four options, the Renewals tab and the
partner directory, in the portal."""

import re
from datetime import timedelta

from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import actor_of
from entitle.licensing.services.licences import licence_create, licence_suspend
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.renewals.models import RenewalRequest, ShopOrder
from entitle.renewals.tests.conftest import on, subscription
from entitle.sharing.services import delegation_grant


def page_of(client, licence) -> str:
    answer = client.get(f"/licences/{licence.activation_id}/renewal/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_an_expiring_licence_shows_its_details_amber_and_the_four_options(
    licence, listed, channel, login
):
    with on(licence.end_date - timedelta(days=20)):
        page = page_of(login(channel.users["owner"]), licence)
    for fact in [licence.activation_id, "Data Center Expert", "DCE-1Y", "10 discoverable"]:
        assert fact in page
    assert 'badge-expiring" data-status="expiring">' in page
    assert "Expiring: 20 days left" in page
    for option in [
        "1. Renew with Digital Locker credits",
        "2. Order online from the vendor",
        "3. Find a partner and request renewal",
        "4. E-mail a partner",
    ]:
        assert option in page
    # The credits quote, and the shop's premium shown plainly.
    assert "<strong>10.00 credits</strong> of DCE-1Y" in page
    assert '<td class="num" data-total="direct"><strong>EUR 480.00</strong></td>' in page
    assert '<td class="num">+20%</td><td class="num" data-total="premium">+EUR 80.00</td>' in page
    assert (
        "sold you this license: <strong>Bluebird IT Resellers</strong>, <strong>Northwind" in page
    )


def nmc_licence(channel, skus, capture):
    owner = actor_of(channel.users["owner"])
    with capture(execute=True):
        po = po_record(
            actor=channel.staff,
            po_number="NMC-P",
            po_email="owner@example.com",
            channel="direct",
            purchasing_entity=channel.companies["owner"],
            owner=channel.companies["owner"],
            lines=[LineInput(skus["SECURE-NMC-1Y"], 2)],
        )
        po_fulfil(actor=channel.staff, public_id=po.public_id)
    voucher_redeem(actor=owner, code=po.lines.get().voucher.code, idempotency_key="p")
    return licence_create(
        actor=owner, sku=skus["SECURE-NMC-1Y"], quantity=2, terms=1, idempotency_key="p2"
    ).licence


def test_an_expired_secure_nmc_offers_no_renewal_but_a_new_subscription(
    channel, skus, login, django_capture_on_commit_callbacks
):
    licence = nmc_licence(channel, skus, django_capture_on_commit_callbacks)
    with on(licence.end_date - timedelta(days=1)):
        assert "1. Renew with Digital Locker credits" in page_of(
            login(channel.users["owner"]), licence
        )
    with on(licence.end_date):
        page = page_of(login(channel.users["owner"]), licence)
    assert 'badge-expired" data-status="expired"' in page
    assert "Renew with Digital Locker credits" not in page
    assert "a new subscription, with a new Activation ID, must be bought" in page
    # The options that remain are numbered from 1.
    assert "1. Buy a new subscription online from the vendor's shop" in page
    assert "2. Find a partner and request a new subscription" in page
    assert "3. E-mail a partner" in page


def test_powerchute_in_grace_can_still_be_renewed_and_shows_its_grace(pcns_licence, channel, login):
    with on(pcns_licence.end_date + timedelta(days=10)):
        page = page_of(login(channel.users["owner"]), pcns_licence)
    assert 'badge-grace" data-status="grace"' in page
    assert "Grace period: 50 days left" in page
    assert "1. Renew with Digital Locker credits" in page


def test_a_suspended_licence_offers_nothing(licence, channel, login):
    licence_suspend(actor=channel.staff, activation_id=licence.activation_id, reason="Audit")
    page = page_of(login(channel.users["owner"]), licence)
    assert "suspended by the vendor: Audit" in page
    assert "Order online" not in page and "E-mail a partner" not in page


def test_the_page_is_the_owners_and_its_managing_delegates(
    licence, channel, login, make_company, make_user, django_capture_on_commit_callbacks
):
    for role in ["purchasing", "reseller", "installer", "unrelated", "vendor"]:
        answer = login(channel.users[role]).get(f"/licences/{licence.activation_id}/renewal/")
        assert answer.status_code == 404, role
    manager = make_user(make_company("MSP"), email="msp@example.com")
    viewer = make_user(make_company("Viewer"), email="viewer@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        for email, role in [("msp@example.com", "manage"), ("viewer@example.com", "view")]:
            delegation_grant(
                actor=actor_of(channel.users["owner"]),
                email=email,
                role=role,
                activation_id=licence.activation_id,
            )
    assert "Renew License" in page_of(login(manager), licence)
    assert login(viewer).get(f"/licences/{licence.activation_id}/renewal/").status_code == 404


def test_renew_with_credits_quotes_then_renews(licence, channel, login):
    client = login(channel.users["owner"])
    url = f"/licences/{licence.activation_id}/renewal/"
    form = {"terms": "2", "sku": "DCE-1Y", "idempotency_key": "page-1"}
    quoted = client.post(url, {**form, "action": "quote"}).content.decode()
    assert "<strong>20.00 credits</strong>" in quoted
    assert "does not hold enough credits" in quoted
    # The page shows the price of one term: its button confirms exactly that.
    page = client.get(url).content.decode()
    priced = re.search(r'name="quoted" value="([^"]*)"', page).group(1)
    form["terms"] = "1"
    done = client.post(url, {**form, "action": "apply", "quoted": priced}, follow=True)
    assert "License renewed: valid through" in done.content.decode()
    licence.refresh_from_db()
    assert licence.end_date == licence.start_date + timedelta(days=2 * 365)


def test_request_email_and_order_from_the_page(
    licence, listed, channel, login, django_capture_on_commit_callbacks
):
    client = login(channel.users["owner"])
    base = f"/licences/{licence.activation_id}/renewal/"
    missing = client.post(f"{base}request/", {"partner": "", "message": "hi"})
    assert missing.status_code == 422
    assert 'id="partner-error"' in missing.content.decode()

    asked = client.post(
        f"{base}request/", {"partner": listed["reseller"].pk, "message": "Quote please"}
    )
    assert asked.status_code == 302
    assert RenewalRequest.objects.get().partner == listed["reseller"]
    written = client.post(f"{base}email/", {"partner": listed["purchasing"].pk, "message": ""})
    assert written.status_code == 422 and "Please write your message." in written.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base}email/", {"partner": listed["purchasing"].pk, "message": "Hello"})
    assert any("a message from" in m.subject for m in mail.outbox)
    confirm = client.get(f"{base}order/").content.decode()
    # The order is confirmed first: what, how many, for how much (DCE-1Y direct: 48.00 each).
    assert "Please confirm" in confirm and "DCE-1Y × 10" in confirm
    assert "EUR 480.00" in confirm
    assert not ShopOrder.objects.exists()
    ordered = client.post(f"{base}order/", {"idempotency_key": "k1"}, follow=True)
    assert "placed in the shop" in ordered.content.decode()
    client.post(f"{base}order/", {"idempotency_key": "k1"})
    assert ShopOrder.objects.count() == 1
    page = page_of(client, licence)
    assert "Orders from the shop" in page and "Renewal requests" in page


def test_the_directory_searches_and_links_back_to_the_renewal_page(licence, listed, channel, login):
    client = login(channel.users["owner"])
    page = client.get("/partners/", {"licence": licence.activation_id}).content.decode()
    assert page.count("<tr data-partner=") == 3
    assert f"/licences/{licence.activation_id}/renewal/?partner={listed['reseller'].pk}" in page
    found = client.get(
        "/partners/", {"q": "north", "product": "secure-nmc"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert found.lstrip().startswith('<div id="results">')  # the rows and their pager
    assert found.count("<tr data-partner=") == 1 and "Northwind" in found
    chosen = page_of_with_partner(client, licence, listed["installer"].pk)
    assert f'<option value="{listed["installer"].pk}" selected>' in chosen


def page_of_with_partner(client, licence, partner_id) -> str:
    return client.get(
        f"/licences/{licence.activation_id}/renewal/", {"partner": partner_id}
    ).content.decode()


def test_the_renewals_tab_for_owner_and_partner(
    licence, listed, channel, owner_credits, login, django_capture_on_commit_callbacks
):
    from entitle.renewals.services.partners import renewal_request_create

    renewal_request_create(
        actor=owner_credits, activation_id=licence.activation_id, partner_id=listed["reseller"].pk
    )
    with on(licence.end_date - timedelta(days=10)):
        owner_tab = login(channel.users["owner"]).get("/renewals/").content.decode()
        partner_tab = login(channel.users["reseller"]).get("/renewals/").content.decode()
    assert "Renewal options" in owner_tab and 'data-status="expiring"' in owner_tab
    assert "Bluebird IT Resellers" in owner_tab
    assert "Renewal requests to Bluebird IT Resellers" in partner_tab
    assert partner_tab.count(subscription(licence)) == 2  # the request and the expiry
    assert licence.activation_id not in partner_tab
    assert "PO-1001" in partner_tab and 'badge-expiring" data-status="expiring"' in partner_tab
    for secret in ["Acme", "owner@example.com", "dce-leeds", "Leeds"]:
        assert secret not in partner_tab


def test_the_partner_answers_a_request_on_its_page(licence, listed, channel, owner_credits, login):
    from entitle.renewals.services.partners import renewal_request_create

    asked = renewal_request_create(
        actor=owner_credits, activation_id=licence.activation_id, partner_id=listed["reseller"].pk
    )
    partner = login(channel.users["reseller"])
    page = partner.get(f"/renewals/requests/{asked.public_id}/").content.decode()
    assert subscription(licence) in page and "Not shared: answer through the portal." in page
    assert licence.activation_id not in page
    assert "Acme" not in page
    partner.post(f"/renewals/requests/{asked.public_id}/", {"answer": "450 for a year"})
    owner_view = login(channel.users["owner"]).get(f"/renewals/requests/{asked.public_id}/")
    assert "450 for a year" in owner_view.content.decode()
    for role in ["purchasing", "installer", "unrelated"]:
        answer = login(channel.users[role]).get(f"/renewals/requests/{asked.public_id}/")
        assert answer.status_code == 404


def test_the_renewals_tab_queries_do_not_grow(owner_credits, skus, channel, login):
    more = 4
    made = [
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="q0"
        ).licence
    ]
    day = made[0].end_date - timedelta(days=40)
    with on(day):
        client = login(channel.users["owner"])
        cache.clear()  # both counted cold (the navigation keeps the company's roles)
        with CaptureQueriesContext(connection) as one:
            client.get("/renewals/")
    for n in range(more):
        licence_create(
            actor=owner_credits,
            sku=skus["DCE-1Y"],
            quantity=1,
            terms=1,
            idempotency_key=f"q{n + 1}",
        )
    with on(day):
        client = login(channel.users["owner"])
        cache.clear()
        with CaptureQueriesContext(connection) as many:
            page = client.get("/renewals/").content.decode()
    assert page.count("Renewal options") == more + 1
    assert len(one) == len(many)
