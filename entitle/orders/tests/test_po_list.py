"""The purchase-order list pages, searches, sorts, filters and exports — the portal's Orders page,
the API's /orders and the CSV the same way (entitle.core.listing)."""

import csv
import io
from datetime import date, timedelta

import pytest

from entitle.orders.services import LineInput, po_fulfil, po_record

FIRST = date(2026, 10, 1)


@pytest.fixture
def five_pos(channel, skus):
    """Five POs of the purchasing entity, ordered a week apart; the odd ones fulfilled."""
    c = channel.companies
    pos = []
    for n in range(5):
        po = po_record(
            actor=channel.staff,
            po_number=f"NW-{n + 1:03}",
            po_email="orders@northwind.example",
            channel="partner",
            purchasing_entity=c["purchasing"],
            reseller=c["reseller"] if n < 2 else None,
            owner=c["owner"],
            ordered_on=FIRST + timedelta(days=7 * n),
            lines=[LineInput(skus["DCE-1Y"], n + 1)],
        )
        if n % 2:
            po = po_fulfil(actor=channel.staff, public_id=po.public_id)
        pos.append(po)
    # Someone else's PO: never in the purchasing entity's list.
    po_record(
        actor=channel.staff,
        po_number="NW-900",
        po_email="x@example.com",
        channel="direct",
        purchasing_entity=c["unrelated"],
        owner=c["unrelated"],
        lines=[LineInput(skus["DCE-1Y"], 1)],
    )
    return pos


@pytest.fixture
def purchaser_api(five_pos, channel, token_client):
    return token_client(channel.users["purchasing"])


def numbers(client, query: str) -> list[str]:
    answer = client.get(f"/api/v1/orders?{query}")
    assert answer.status_code == 200, answer.content
    return [row["po_number"] for row in answer.json()["items"]]


def test_the_api_pages_every_po_exactly_once_in_the_order_asked(purchaser_api):
    rows, cursor = [], ""
    while True:
        answer = purchaser_api.get(f"/api/v1/orders?limit=2&sort=ordered&cursor={cursor}").json()
        assert len(answer["items"]) <= 2
        rows += [row["po_number"] for row in answer["items"]]
        if not answer["next_cursor"]:
            break
        cursor = answer["next_cursor"]
    assert rows == ["NW-001", "NW-002", "NW-003", "NW-004", "NW-005"]
    # Newest first by default; by PO number, the other way round.
    assert numbers(purchaser_api, "")[:2] == ["NW-005", "NW-004"]
    assert numbers(purchaser_api, "sort=-po&limit=1") == ["NW-005"]


def test_the_api_filters_by_status_and_dates(purchaser_api):
    assert numbers(purchaser_api, "status=fulfilled&sort=po") == ["NW-002", "NW-004"]
    window = f"ordered_from={FIRST + timedelta(days=7)}&ordered_to={FIRST + timedelta(days=14)}"
    assert numbers(purchaser_api, f"{window}&sort=po") == ["NW-002", "NW-003"]
    assert numbers(purchaser_api, f"{window}&status=recorded") == ["NW-003"]


def test_the_search_finds_po_numbers_and_the_companies_the_reader_may_see(
    purchaser_api, channel, token_client
):
    assert numbers(purchaser_api, "q=nw-003") == ["NW-003"]
    assert numbers(purchaser_api, "q=nw-9") == []
    assert numbers(purchaser_api, "q=bluebird&sort=po") == ["NW-001", "NW-002"]
    # The purchasing entity is not told who owns what it bought: the owner's name finds
    # nothing for it, and everything for vendor staff.
    assert numbers(purchaser_api, "q=acme") == []
    staff = token_client(channel.users["vendor"])
    assert len(numbers(staff, "q=acme")) == 5


def test_others_see_none_of_the_purchasing_entitys_orders(five_pos, channel, token_client):
    assert numbers(token_client(channel.users["reseller"]), "") == []
    assert numbers(token_client(channel.users["unrelated"]), "") == ["NW-900"]


@pytest.mark.parametrize(
    "query",
    ["status=lost", "ordered_from=yesterday", "sort=owner__name", "limit=0", "cursor=%%%"],
)
def test_bad_list_parameters_are_refused(purchaser_api, query):
    answer = purchaser_api.get(f"/api/v1/orders?{query}")
    assert answer.status_code == 422, answer.content


def test_the_orders_page_pages_filters_and_keeps_the_owner_hidden(five_pos, channel, login):
    purchaser = login(channel.users["purchasing"])
    page = purchaser.get("/orders/", {"limit": 2}).content.decode()
    assert "NW-005" in page and "NW-004" in page and "NW-003" not in page
    assert "Next page" in page
    assert "Acme Data Centres" not in page
    found = purchaser.get("/orders/", {"q": "acme"}).content.decode()
    assert "No purchase order matches this search." in found
    assert purchaser.get("/orders/", {"ordered_to": "soon"}).status_code == 422
    # The PO-number look-up still goes straight to the PO.
    assert purchaser.get("/orders/", {"po_number": "nw-002"}).status_code == 302


def test_the_orders_csv_is_the_whole_filtered_list_without_the_owner(five_pos, channel, login):
    answer = login(channel.users["purchasing"]).get(
        "/orders/", {"format": "csv", "limit": 1, "status": "recorded", "sort": "po"}
    )
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [row["PO number"] for row in rows] == ["NW-001", "NW-003", "NW-005"]
    assert {row["Owner"] for row in rows} == {""}
    assert rows[0]["Reseller"] == "Bluebird IT Resellers"
    staff = login(channel.users["vendor"]).get("/orders/", {"format": "csv", "q": "NW-001"})
    [row] = csv.DictReader(io.StringIO(b"".join(staff.streaming_content).decode()))
    assert row["Owner"] == "Acme Data Centres"


def test_the_orders_page_reads_as_many_queries_for_two_orders_as_for_five(five_pos, channel, login):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    purchaser = login(channel.users["purchasing"])
    counts = []
    for limit in (2, 5):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            page = purchaser.get("/orders/", {"limit": limit})
        assert page.content.decode().count("/orders/") >= limit
        counts.append(len(queries))
    assert counts[0] == counts[1]
