"""The entitlement list pages, searches, sorts, filters and exports (entitle.core.listing): a
page reads only its rows, each entitlement once per licence its credits went into, and a
licence-scope delegate sees its licence, never the PO line."""

import csv
import io

import pytest

from entitle.licensing.services.licences import licence_create, licence_increase, licence_renew
from entitle.sharing.services import delegation_grant


@pytest.fixture
def split(owner_credits, skus):
    """The DCE-1Y entitlement's credits went into four licences (quantities 1…4), all created
    today for a year: four rows with the same Subscription ID and the same end date. The
    PCNS-3Y entitlement is unused."""
    return [
        licence_create(
            actor=owner_credits,
            sku=skus["DCE-1Y"],
            quantity=n,
            terms=1,
            idempotency_key=f"split-{n}",
        ).licence
        for n in range(1, 5)
    ]


def every_page(client, query: str = "") -> list[dict]:
    rows, cursor = [], ""
    while True:
        answer = client.get(f"/api/v1/entitlements?limit=2&{query}&cursor={cursor}")
        assert answer.status_code == 200, answer.content
        page = answer.json()
        assert len(page["items"]) <= 2
        rows += page["items"]
        if not page["next_cursor"]:
            return rows
        cursor = page["next_cursor"]


def test_the_api_pages_every_row_once_even_rows_that_tie(split, channel, token_client):
    client = token_client(channel.users["owner"])
    rows = every_page(client)
    assert sorted((row["sku"], row["quantity"]) for row in rows) == [
        ("DCE-1Y", 1),
        ("DCE-1Y", 2),
        ("DCE-1Y", 3),
        ("DCE-1Y", 4),
        ("PCNS-3Y", 10),
    ]
    # Latest end first: the three-year SKU's unused entitlement ends last.
    assert rows[0]["sku"] == "PCNS-3Y"
    by_quantity = every_page(client, "sort=quantity")
    assert [row["quantity"] for row in by_quantity] == [1, 2, 3, 4, 10]


def test_the_api_filters_and_searches_what_the_row_shows(split, channel, token_client):
    client = token_client(channel.users["purchasing"])

    def quantities(query: str) -> list[int]:
        answer = client.get(f"/api/v1/entitlements?sort=quantity&{query}")
        assert answer.status_code == 200, answer.content
        return [row["quantity"] for row in answer.json()["items"]]

    assert quantities("status=unused") == [10]
    assert quantities("status=active") == [1, 2, 3, 4]
    assert quantities("status=expired") == []
    assert quantities("ends_within=400") == [1, 2, 3, 4]
    assert quantities("product=dce") == [1, 2, 3, 4]
    assert quantities("po=po-1001") == [1, 2, 3, 4, 10]
    assert quantities("q=PCNS-3Y") == [10]
    assert quantities("q=data center") == [1, 2, 3, 4]
    subscription = client.get("/api/v1/entitlements?status=unused").json()["items"][0]
    assert quantities("q=" + subscription["subscription_id"].lower()) == [10]
    assert quantities("q=nothing-like-it") == []


@pytest.mark.parametrize(
    "query", ["status=suspended", "sort=quantity_secret", "cursor=bm9wZQ", "limit=0", "q=%01"]
)
def test_bad_parameters_are_refused(split, channel, token_client, query):
    answer = token_client(channel.users["owner"]).get(f"/api/v1/entitlements?{query}")
    assert answer.status_code == 422, answer.content


def test_the_page_pages_and_the_csv_is_the_whole_filtered_list(split, channel, login):
    client = login(channel.users["reseller"])
    page = client.get("/entitlements/", {"limit": 2, "sort": "quantity"}).content.decode()
    assert page.count("<code>") == 2 and "Next page" in page
    none = client.get("/entitlements/", {"q": "nothing-like-it"}).content.decode()
    assert "No entitlement matches this search." in none
    answer = client.get("/entitlements/", {"format": "csv", "limit": 1, "status": "active"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert sorted(int(row["Quantity"]) for row in rows) == [1, 2, 3, 4]
    assert {row["Status"] for row in rows} == {"active"}
    assert {row["PO number"] for row in rows} == {"PO-1001"}
    assert client.get("/entitlements/", {"status": "mostly"}).status_code == 422


def test_a_licence_scope_delegate_finds_only_its_licence_row(
    split, owner_credits, channel, login, make_company, make_user
):
    viewer = make_user(make_company("Viewer Co"), email="viewer@example.com", role="admin")
    delegation_grant(
        actor=owner_credits,
        email="viewer@example.com",
        role="view",
        activation_id=split[0].activation_id,
    )
    client = login(viewer)
    answer = client.get("/entitlements/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [(row["SKU"], row["Quantity"]) for row in rows] == [("DCE-1Y", "1")]
    # The PO line (25 credits) and the other licences are not rows it can find.
    assert (
        "No entitlement matches" in client.get("/entitlements/", {"q": "PCNS-3Y"}).content.decode()
    )
    assert client.get("/entitlements/", {"status": "unused"}).content.decode().count("<code>") == 0


def test_a_row_follows_its_licence_through_increase_and_renewal(
    split, owner_credits, channel, token_client
):
    """The list's rows are stored: growing and renewing a licence changes its row (and only
    its row), whoever reads it."""
    grown = split[0]
    licence_increase(
        actor=owner_credits, activation_id=grown.activation_id, quantity=3, idempotency_key="g"
    )
    licence_renew(
        actor=owner_credits, activation_id=grown.activation_id, terms=1, idempotency_key="r"
    )
    grown.refresh_from_db()
    client = token_client(channel.users["purchasing"])
    rows = client.get("/api/v1/entitlements?sort=quantity&product=dce").json()["items"]
    assert [row["quantity"] for row in rows] == [2, 3, 3, 4]
    ends = {row["quantity"]: row["end_date"] for row in rows}
    assert len({row["end_date"] for row in rows}) == 2
    assert [row["end_date"] for row in rows].count(str(grown.end_date)) == 1
    assert ends[2] == str(split[1].end_date)
