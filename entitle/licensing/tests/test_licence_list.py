"""The licence list pages, searches, sorts, filters and exports — the portal's Licenses page,
the API's /licences and the CSV the same way (entitle.core.listing)."""

import csv
import io
from datetime import date, timedelta

import pytest
import time_machine

from entitle.core.actor import Actor
from entitle.licensing.models import Licence
from entitle.licensing.services.licences import licence_create
from entitle.sharing.models import Delegation
from entitle.sharing.services import delegation_grant

TODAY = date(2026, 12, 1)


@pytest.fixture
def six_licences(owner_credits, channel, skus):
    """Six DCE licences of the owner, quantities 1…6, starting a week apart from today."""
    owner = Actor.for_user(channel.users["owner"])
    with time_machine.travel(TODAY, tick=False):
        for n in range(6):
            licence_create(
                actor=owner,
                sku=skus["DCE-1Y"],
                quantity=n + 1,
                terms=1,
                start_date=TODAY + timedelta(days=7 * n),
                idempotency_key=f"list-{n}",
            )
    return list(Licence.objects.filter(owner=channel.companies["owner"]).order_by("end_date"))


@pytest.fixture
def owner_api(six_licences, channel, token_client):
    return token_client(channel.users["owner"])


def every_page(client, query: str) -> list[dict]:
    """Every row, following `next_cursor` until the last page."""
    rows, cursor = [], ""
    while True:
        answer = client.get(f"/api/v1/licences?{query}&cursor={cursor}").json()
        assert len(answer["items"]) <= 3
        rows += answer["items"]
        if not answer["next_cursor"]:
            return rows
        cursor = answer["next_cursor"]


@time_machine.travel(TODAY, tick=False)
def test_the_api_pages_every_licence_exactly_once_in_the_order_asked(owner_api, six_licences):
    first = owner_api.get("/api/v1/licences?limit=3").json()
    assert [row["quantity"] for row in first["items"]] == [1, 2, 3]
    assert first["next_cursor"]

    by_end = every_page(owner_api, "limit=3")
    assert [row["quantity"] for row in by_end] == [1, 2, 3, 4, 5, 6]
    by_quantity = every_page(owner_api, "limit=3&sort=-quantity")
    assert [row["quantity"] for row in by_quantity] == [6, 5, 4, 3, 2, 1]


@time_machine.travel(TODAY, tick=False)
def test_the_api_filters_by_status_and_days_and_searches(owner_api, six_licences):
    def quantities(query: str) -> list[int]:
        answer = owner_api.get(f"/api/v1/licences?{query}")
        assert answer.status_code == 200, answer.content
        return [row["quantity"] for row in answer.json()["items"]]

    # Only the first one has started today; the others are not yet valid.
    assert quantities("status=active") == [1]
    assert quantities("status=not yet valid") == [2, 3, 4, 5, 6]
    assert quantities("status=expired") == []
    # A year's licence started today ends in 365 days; one started a week later, 372.
    assert quantities("ends_within=366") == [1]
    assert quantities("q=data center&ends_within=373") == [1, 2]
    assert quantities("q=nothing-like-this") == []
    assert quantities("q=" + six_licences[3].activation_id.lower()) == [4]


@pytest.fixture
def view_delegate(six_licences, channel, login):
    """The installer, given `view` over all of the owner's licences: it sees them, not keys."""
    delegation_grant(
        actor=Actor.for_user(channel.users["owner"]),
        email=channel.users["installer"].email,
        role=Delegation.Role.VIEW,
        scope=Delegation.Scope.ALL,
    )
    return login(channel.users["installer"])


def test_a_view_delegate_cannot_find_a_licence_by_its_activation_id(six_licences, view_delegate):
    """Search is no oracle for the keys of licences whose keys the reader may not see."""
    assert view_delegate.get("/licences/").content.decode().count("DCE-1Y") == 6
    found = view_delegate.get("/licences/", {"q": six_licences[0].activation_id})
    assert "No license matches this search." in found.content.decode()


@pytest.mark.parametrize(
    "query, code",
    [
        ("cursor=bm90LWEtY3Vyc29y", "cursor_invalid"),
        ("cursor=WyJub3QgYSBkYXRlIiwxXQ==", "cursor_invalid"),
        ("limit=100000", "invalid"),
        ("sort=owner__password", "invalid"),
        ("status=mostly", "invalid"),
        ("ends_within=99999999999999999999", "invalid"),
        ("q=%00", "invalid"),
    ],
)
def test_bad_list_parameters_are_refused_with_a_reason(owner_api, query, code):
    answer = owner_api.get(f"/api/v1/licences?{query}")
    assert answer.status_code == 422, answer.content
    assert answer.json()["code"].startswith(code)


@time_machine.travel(TODAY, tick=False)
def test_the_licenses_page_pages_and_sorts(six_licences, channel, login):
    owner = login(channel.users["owner"])
    page = owner.get("/licences/", {"limit": 3, "sort": "-quantity"}).content.decode()
    assert page.count('class="activation-id"') == 3
    assert six_licences[5].activation_id in page
    assert six_licences[0].activation_id not in page
    assert "Next page" in page
    # The product filter offers the catalog's products by name.
    assert '<option value="dce">Data Center Expert</option>' in page

    last = owner.get("/licences/", {"limit": 3, "sort": "-quantity", "ends_within": 380})
    assert "Next page" not in last.content.decode()
    bad = owner.get("/licences/", {"status": "mostly"})
    assert bad.status_code == 422


@time_machine.travel(TODAY, tick=False)
def test_the_csv_is_the_whole_filtered_list_and_hides_keys_from_partners(
    six_licences, channel, login
):
    owner = login(channel.users["owner"])
    answer = owner.get("/licences/", {"format": "csv", "limit": 2, "status": "not yet valid"})
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert len(rows) == 5
    assert rows[0]["Activation ID"] == six_licences[1].activation_id
    assert rows[0]["Status"] == "not yet valid"
    assert rows[0]["Valid through"] == (six_licences[1].end_date - timedelta(days=1)).isoformat()


def test_the_csv_hides_keys_from_view_delegates(six_licences, view_delegate):
    answer = view_delegate.get("/licences/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert len(rows) == 6
    assert {row["Activation ID"] for row in rows} == {""}
    assert {row["Product"] for row in rows} == {"Data Center Expert"}
