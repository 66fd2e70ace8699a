"""The Sharing page's lists and the API's /delegations and /transfers page, search, filter and
export (entitle.core.listing), and search is no oracle for what only the owner may see."""

import csv
import io

import pytest

from conftest import actor_of
from entitle.licensing.services.licences import licence_create
from entitle.sharing import services


@pytest.fixture
def shared(owner_credits, channel, skus):
    """Three licences of the owner: the first shared with the installer (view), the second
    with the reseller (manage), all of PO-1001 with the unrelated company; the third offered to
    the unrelated company (declined), then to the reseller (waiting)."""
    owner = owner_credits
    licences = [
        licence_create(
            actor=owner, sku=skus["DCE-1Y"], quantity=n + 1, terms=1, idempotency_key=f"l{n}"
        ).licence
        for n in range(3)
    ]
    for email, role, licence in [
        ("installer@example.com", "view", licences[0]),
        ("reseller@example.com", "manage", licences[1]),
    ]:
        services.delegation_grant(
            actor=owner, email=email, role=role, activation_id=licence.activation_id
        )
    services.delegation_grant(
        actor=owner, email="unrelated@example.com", role="view", scope="po", po_number="PO-1001"
    )
    declined = services.transfer_propose(
        actor=owner, activation_id=licences[2].activation_id, to_email="unrelated@example.com"
    )
    services.transfer_decline(
        actor=actor_of(channel.users["unrelated"]), public_id=declined.public_id
    )
    services.transfer_propose(
        actor=owner, activation_id=licences[2].activation_id, to_email="reseller@example.com"
    )
    return licences


@pytest.fixture
def api(shared, channel, token_client):
    return {role: token_client(channel.users[role]) for role in ("owner", "installer", "unrelated")}


def items(client, path: str) -> list[dict]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.content
    return answer.json()["items"]


def test_delegations_page_through_given_and_held_exactly_once(api):
    rows, cursor = [], ""
    while True:
        page = api["owner"].get(f"/api/v1/delegations?limit=1&cursor={cursor}").json()
        assert len(page["items"]) <= 1
        rows += page["items"]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len({row["id"] for row in rows}) == len(rows) == 3
    assert [row["scope"] for row in rows] == ["po", "licence", "licence"]  # newest first
    assert len(items(api["owner"], "/api/v1/delegations?side=held")) == 0
    [held] = items(api["installer"], "/api/v1/delegations?side=held")
    assert held["role"] == "view" and held["delegate"] is None and held["activation_id"] is None


def test_delegation_search_finds_only_what_the_reader_may_see(api, shared):
    assert [row["delegate"] for row in items(api["owner"], "/api/v1/delegations?q=bluebird")] == [
        "Bluebird IT Resellers"
    ]
    assert len(items(api["owner"], "/api/v1/delegations?q=po-1001")) == 1
    key = shared[0].activation_id
    assert len(items(api["owner"], f"/api/v1/delegations?q={key.lower()}")) == 1
    # The delegate cannot find its delegation by the owner's key, which it does not know.
    assert items(api["installer"], f"/api/v1/delegations?q={key}") == []
    assert items(api["installer"], "/api/v1/delegations?q=initech") == []


def test_delegations_filter_by_state_role_and_scope(api, shared, channel):
    given = items(api["owner"], "/api/v1/delegations?role=manage")
    services.delegation_revoke(actor=actor_of(channel.users["owner"]), public_id=given[0]["id"])
    assert len(items(api["owner"], "/api/v1/delegations?state=revoked")) == 1
    assert len(items(api["owner"], "/api/v1/delegations?state=active")) == 2
    assert len(items(api["owner"], "/api/v1/delegations?scope=po&state=active")) == 1


def test_transfers_filter_by_status_and_direction(api):
    assert len(items(api["owner"], "/api/v1/transfers")) == 2
    [waiting] = items(api["owner"], "/api/v1/transfers?status=proposed&direction=offered")
    assert waiting["to_company"] == "Bluebird IT Resellers"
    assert items(api["owner"], "/api/v1/transfers?direction=received") == []
    [declined] = items(api["unrelated"], "/api/v1/transfers?direction=received")
    assert declined["status"] == "declined"
    assert len(items(api["owner"], "/api/v1/transfers?q=data%20center&limit=1")) == 1
    assert items(api["owner"], "/api/v1/transfers?q=initech") == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/delegations?side=theirs",
        "/api/v1/delegations?sort=owner__name",
        "/api/v1/transfers?status=maybe",
        "/api/v1/transfers?cursor=bm90LWEtY3Vyc29y",
    ],
)
def test_bad_sharing_list_parameters_are_refused(api, path):
    answer = api["owner"].get(path)
    assert answer.status_code == 422, answer.content


def test_the_sharing_page_pages_and_exports(shared, channel, login):
    owner = login(channel.users["owner"])
    page = owner.get("/sharing/", {"limit": 2}).content.decode()
    assert "Next page" in page
    assert page.count("Revoke</button>") == 2
    # The transfer waiting for an answer, with a link to all of them.
    assert "Bluebird IT Resellers" in page and "All transfers" in page
    answer = owner.get("/sharing/", {"format": "csv", "limit": 1, "side": "given"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert {row["With"] for row in rows} == {
        "Initech Managed Services",
        "Bluebird IT Resellers",
        "Umbrella Unrelated",
    }
    assert owner.get("/sharing/", {"state": "gone"}).status_code == 422
    found = owner.get("/sharing/", {"q": "nobody-like-this"}).content.decode()
    assert "Nothing shared matches this search." in found


def test_a_delegate_sees_its_side_only_on_the_page_and_in_the_csv(shared, channel, login):
    installer = login(channel.users["installer"])
    page = installer.get("/sharing/").content.decode()
    assert "With us" in page and "Acme Data Centres" not in page
    answer = installer.get("/sharing/", {"format": "csv"})
    [row] = csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode()))
    assert row["Shared"] == "with us" and row["With"] == ""


def test_the_transfers_page_lists_them_all(shared, channel, login):
    owner = login(channel.users["owner"])
    page = owner.get("/sharing/transfers/", {"status": "declined"}).content.decode()
    assert "Umbrella Unrelated" in page and "Bluebird IT Resellers" not in page
    answer = owner.get("/sharing/transfers/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [row["Status"] for row in rows] == ["Proposed", "Declined"]
    assert owner.get("/sharing/transfers/", {"direction": "sideways"}).status_code == 422


def test_the_sharing_page_reads_as_many_queries_for_one_row_as_for_three(shared, channel, login):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = login(channel.users["owner"])
    counts = []
    for limit in (1, 3):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            page = owner.get("/sharing/", {"limit": limit})
        assert page.content.decode().count("Revoke</button>") == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]
