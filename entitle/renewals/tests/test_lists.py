"""The Renewals tab's lists and the renewals API's lists page, search, filter and export
(entitle.core.listing): nothing is cut at 50 or 100 any more."""

import csv
import io
from datetime import date, timedelta

import pytest

from entitle.licensing.services.licences import licence_create
from entitle.renewals.services.partners import renewal_request_create
from entitle.renewals.services.shop import shop_order_place
from entitle.renewals.tests.conftest import on

TODAY = date(2026, 12, 1)
# Three hundred days on, the four licences end in 65, 72, 79 and 86 days.
LATER = TODAY + timedelta(days=300)


@pytest.fixture
def four(owner_credits, skus, listed):
    """Four DCE licences of the owner bought under PO-1001, starting a week apart; a renewal
    request for each sent to the reseller, and a shop order for the first two."""
    with on(TODAY):
        licences = [
            licence_create(
                actor=owner_credits,
                sku=skus["DCE-1Y"],
                quantity=n + 1,
                terms=1,
                start_date=TODAY + timedelta(days=7 * n),
                idempotency_key=f"four-{n}",
            ).licence
            for n in range(4)
        ]
    with on(LATER):
        for licence in licences:
            renewal_request_create(
                actor=owner_credits,
                activation_id=licence.activation_id,
                partner_id=listed["reseller"].pk,
                include_contact=licence.quantity == 4,
            )
        for n, licence in enumerate(licences[:2]):
            shop_order_place(
                actor=owner_credits, activation_id=licence.activation_id, idempotency_key=f"s{n}"
            )
    return licences


def every_page(client, path: str, limit: int) -> list[dict]:
    rows, cursor = [], ""
    joiner = "&" if "?" in path else "?"
    while True:
        answer = client.get(f"{path}{joiner}limit={limit}&cursor={cursor}")
        assert answer.status_code == 200, answer.content
        page = answer.json()
        assert len(page["items"]) <= limit
        rows += page["items"]
        if not page["next_cursor"]:
            return rows
        cursor = page["next_cursor"]


def test_the_partner_directory_pages_filters_and_searches(listed, channel, token_client):
    client = token_client(channel.users["owner"])
    names = [row["name"] for row in every_page(client, "/api/v1/partners", 2)]
    assert names == ["Bluebird IT Resellers", "Initech Managed Services", "Northwind Distribution"]
    only_pcns = every_page(client, "/api/v1/partners?product=pcns&sort=-name", 1)
    assert [row["name"] for row in only_pcns] == names[::-1]
    [found] = client.get("/api/v1/partners?q=bluebird").json()["items"]
    assert found["name"] == "Bluebird IT Resellers" and len(found["products"]) == 2
    assert client.get("/api/v1/partners?country=XX").json()["items"] == []
    assert client.get("/api/v1/partners?country=Xyz").status_code == 422


def test_renewal_requests_page_on_both_sides(four, channel, token_client):
    reseller = token_client(channel.users["reseller"])
    received = every_page(reseller, "/api/v1/renewal-requests/received?sort=end", 3)
    assert [row["quantity"] for row in received] == [1, 2, 3, 4]
    owner = token_client(channel.users["owner"])
    sent = every_page(owner, "/api/v1/renewal-requests/sent", 3)
    assert len({row["id"] for row in sent}) == 4
    assert (
        every_page(token_client(channel.users["unrelated"]), "/api/v1/renewal-requests/sent", 3)
        == []
    )


def test_renewal_requests_search_and_filter(four, channel, token_client):
    reseller = token_client(channel.users["reseller"])
    path = "/api/v1/renewal-requests/received"
    subscription = reseller.get(f"{path}?sort=end&limit=1").json()["items"][0]["subscription_id"]
    [row] = reseller.get(f"{path}?q={subscription}").json()["items"]
    assert row["quantity"] == 1
    # The requester's contact is searchable only where it was included.
    [row] = reseller.get(f"{path}?q=owner@example.com").json()["items"]
    assert row["quantity"] == 4 and row["contact"]["email"] == "owner@example.com"
    assert reseller.get(f"{path}?q=acme").json()["items"][0]["quantity"] == 4
    assert len(reseller.get(f"{path}?status=open").json()["items"]) == 4
    assert reseller.get(f"{path}?status=answered").json()["items"] == []
    assert reseller.get(f"{path}?status=closed").status_code == 422


def test_sold_expiries_page_and_filter_by_days(four, channel, token_client):
    reseller = token_client(channel.users["reseller"])
    with on(LATER):
        rows = every_page(reseller, "/api/v1/partner/expiries", 3)
        soon = reseller.get("/api/v1/partner/expiries?ends_within=75").json()["items"]
        bad = reseller.get("/api/v1/partner/expiries?ends_within=-1")
        nothing = token_client(channel.users["installer"]).get("/api/v1/partner/expiries")
    assert [row["quantity"] for row in rows] == [1, 2, 3, 4]
    assert {row["po_number"] for row in rows} == {"PO-1001"}
    assert [row["days_left"] for row in soon] == [65, 72]
    assert bad.status_code == 422
    assert nothing.json()["items"] == []


def test_the_renewals_tab_shows_short_lists_that_link_to_paged_ones(four, channel, login):
    with on(LATER):
        owner = login(channel.users["owner"])
        tab = owner.get("/renewals/", {"limit": 2}).content.decode()
        assert tab.count("Renewal options") == 2 and "Next page" in tab
        assert "/renewals/sent/" in tab and "/renewals/orders/" in tab
        sent = owner.get("/renewals/sent/", {"limit": 3}).content.decode()
        assert sent.count("× ") == 3 and "Next page" in sent
        orders = owner.get("/renewals/orders/", {"format": "csv"})
        rows = list(csv.DictReader(io.StringIO(b"".join(orders.streaming_content).decode())))
        assert len(rows) == 2 and rows[0]["Status"].startswith("Placed")
        partner = login(channel.users["reseller"])
        tab = partner.get("/renewals/").content.decode()
        assert "/renewals/received/" in tab and "/renewals/expiries/" in tab
        received = partner.get("/renewals/received/", {"limit": 2, "sort": "end"})
        assert "Next page" in received.content.decode()
        assert partner.get("/renewals/received/", {"kind": "other"}).status_code == 422
        sold = partner.get("/renewals/expiries/", {"format": "csv", "ends_within": 80})
        rows = list(csv.DictReader(io.StringIO(b"".join(sold.streaming_content).decode())))
    assert [row["Quantity"] for row in rows] == ["1", "2", "3"]
    assert {row["PO number"] for row in rows} == {"PO-1001"}
    assert rows[0]["Status"] == "active"  # 65 days left: before Data Center Expert's warning
    assert "Acme" not in str(rows)


def test_the_received_csv_shows_a_contact_only_where_included(four, channel, login):
    partner = login(channel.users["reseller"])
    answer = partner.get("/renewals/received/", {"format": "csv", "sort": "end"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [bool(row["Contact"]) for row in rows] == [False, False, False, True]


def test_a_seller_sees_the_owner_of_nothing_it_sold(four, channel, login):
    with on(LATER):
        page = login(channel.users["purchasing"]).get("/renewals/expiries/").content.decode()
    assert page.count("PO-1001") == 4
    for secret in ["Acme", four[0].activation_id, "HOST-"]:
        assert secret not in page


def test_the_sold_expiries_page_reads_as_many_queries_for_one_row_as_for_four(four, channel, login):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    with on(LATER):
        partner = login(channel.users["reseller"])
        for limit in (1, 4):
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                partner.get("/renewals/expiries/", {"limit": limit})
            counts.append(len(queries))
    assert counts[0] == counts[1]
