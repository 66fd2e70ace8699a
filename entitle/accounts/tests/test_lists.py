"""The accounts app's lists page, search, sort, filter and export through entitle.core.listing:
co-workers, invitations, companies, API tokens and service accounts — the portal's pages, the
API's lists and the CSVs alike."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from conftest import actor_of, new_company
from entitle.accounts import services
from entitle.accounts.models import User

LONG_AGO = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)


def every_page(client: Client, path: str, query: str = "", limit: int = 2) -> list[dict]:
    """Every row, following `next_cursor` until the last page; no page is longer than asked."""
    rows, cursor = [], ""
    while True:
        answer = client.get(f"{path}?limit={limit}&cursor={cursor}&{query}")
        assert answer.status_code == 200, answer.content
        page = answer.json()
        assert len(page["items"]) <= limit
        rows += page["items"]
        if not page["next_cursor"]:
            return rows
        cursor = page["next_cursor"]


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def team(acme_admin, acme_member, make_user, acme):
    """Acme: Olivia (admin), Sam and five more members; Globex's people are never listed."""
    for n in range(5):
        make_user(acme, email=f"crew{n}@acme.example", name=f"Crew {n}")
    make_user(new_company("Globex"), email="grace@globex.example", name="Grace")
    return acme


def test_coworkers_page_through_the_api_each_once(team, acme_admin, token_client):
    api = token_client(acme_admin)
    rows = every_page(api, "/api/v1/coworkers")
    names = [row["name"] for row in rows]
    assert names == sorted(names) and len(names) == len(set(names)) == 7
    assert "Grace" not in names
    backwards = every_page(api, "/api/v1/coworkers", "sort=-joined", limit=3)
    assert [row["email"] for row in backwards][-1] == "olivia@acme.example"
    assert {row["email"] for row in every_page(api, "/api/v1/coworkers", "role=admin")} == {
        "olivia@acme.example"
    }
    found = every_page(api, "/api/v1/coworkers", "q=CREW")
    assert {row["name"] for row in found} == {f"Crew {n}" for n in range(5)}
    assert every_page(api, "/api/v1/coworkers", "q=grace") == []


def test_the_coworkers_page_pages_searches_and_exports(team, acme_admin, login):
    client = login(acme_admin)
    page = client.get("/coworkers/", {"limit": 3}).content.decode()
    assert page.count("@acme.example</td>") == 3 and "Next page" in page
    found = client.get("/coworkers/", {"q": "sam"}).content.decode()
    assert "sam@acme.example" in found and "crew0@acme.example" not in found
    none = client.get("/coworkers/", {"q": "nobody-here"}).content.decode()
    assert "No co-worker matches this search." in none
    rows = csv_rows(client.get("/coworkers/", {"format": "csv", "role": "member"}))
    assert len(rows) == 6 and {row["Role"] for row in rows} == {"Member"}
    assert client.get("/coworkers/", {"role": "owner"}).status_code == 422


@pytest.fixture
def invitations(acme_admin, django_capture_on_commit_callbacks):
    """Two invitations long expired, three pending, one revoked."""
    admin = actor_of(acme_admin)
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(LONG_AGO, tick=False):
            for n in range(2):
                services.invitation_create(actor=admin, email=f"old{n}@example.com")
        made = [
            services.invitation_create(actor=admin, email=f"new{n}@example.com") for n in range(4)
        ]
        services.invitation_revoke(actor=admin, public_id=made[3].public_id)
    return made


def test_invitations_page_through_the_api_and_filter_by_status(
    invitations, acme_admin, token_client
):
    api = token_client(acme_admin)
    everyone = every_page(api, "/api/v1/invitations")
    assert len(everyone) == 6 and len({row["id"] for row in everyone}) == 6
    # Newest first by default: the two old ones come last.
    assert {row["email"] for row in everyone[-2:]} == {"old0@example.com", "old1@example.com"}

    def emails(query: str) -> set[str]:
        return {row["email"] for row in every_page(api, "/api/v1/invitations", query)}

    assert emails("status=pending") == {f"new{n}@example.com" for n in range(3)}
    assert emails("status=expired") == {"old0@example.com", "old1@example.com"}
    assert emails("status=revoked") == {"new3@example.com"}
    assert emails("q=old1") == {"old1@example.com"}
    bad = api.get("/api/v1/invitations?status=lost")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_request")


def test_the_coworkers_page_shows_the_newest_pending_and_links_to_all(
    invitations, acme_admin, login, settings
):
    client = login(acme_admin)
    page = client.get("/coworkers/").content.decode()
    assert "new0@example.com" in page and "old0@example.com" not in page
    assert "/coworkers/invitations/" in page
    full = client.get("/coworkers/invitations/", {"status": "expired"}).content.decode()
    assert "old0@example.com" in full and "new0@example.com" not in full
    rows = csv_rows(client.get("/coworkers/invitations/", {"format": "csv"}))
    assert {row["Status"] for row in rows} == {"pending", "expired", "revoked"}
    # Revoking from the full list goes back to it.
    back = client.post(
        f"/coworkers/invitations/{invitations[0].public_id}/revoke/", {"back": "list"}
    )
    assert back["Location"] == "/coworkers/invitations/"


def test_the_pending_section_shows_a_few_and_links_to_the_rest(
    acme_admin, login, django_capture_on_commit_callbacks, monkeypatch
):
    from entitle.accounts import views

    monkeypatch.setattr(views, "PENDING_SHOWN", 2)
    admin = actor_of(acme_admin)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            services.invitation_create(actor=admin, email=f"p{n}@example.com")
    page = login(acme_admin).get("/coworkers/").content.decode()
    assert page.count("@example.com</td>") == 2
    assert "All pending invitations" in page


@pytest.fixture
def companies(vendor_staff):
    made = [new_company(f"Northwind {n}", is_partner=n % 2 == 0, country="DE") for n in range(5)]
    return [*made, new_company("Globex", country="FR")]


def test_vendor_staff_page_and_search_every_company(companies, vendor_staff, acme, token_client):
    api = token_client(vendor_staff)
    everyone = every_page(api, "/api/v1/companies")
    names = [row["name"] for row in everyone]
    assert names == sorted(names)
    assert {"Vendor Ltd", "Globex", "Acme Data Centres", "Northwind 4"} <= set(names)
    assert len(names) == len(set(names)) == 8
    found = every_page(api, "/api/v1/companies", "q=northwind&partner=yes")
    assert [row["name"] for row in found] == ["Northwind 0", "Northwind 2", "Northwind 4"]
    assert [row["name"] for row in every_page(api, "/api/v1/companies", "country=fr")] == ["Globex"]
    assert api.get("/api/v1/companies?country=France").status_code == 422


def test_a_company_lists_only_itself(companies, acme_admin, token_client):
    assert every_page(token_client(acme_admin), "/api/v1/companies", "q=northwind") == []
    [own] = every_page(token_client(acme_admin), "/api/v1/companies")
    assert own["name"] == "Acme Data Centres"


@pytest.fixture
def tokens(acme_admin):
    admin = actor_of(acme_admin)
    made = [
        services.api_token_create(actor=admin, name=f"Monitor {n}", scopes=["accounts:read"])[0]
        for n in range(4)
    ]
    services.api_token_revoke(actor=admin, token_id=made[0].pk)
    return made


def test_tokens_page_through_the_api_from_a_session(tokens, acme_admin, login):
    session = login(acme_admin)
    rows = every_page(session, "/api/v1/tokens")
    assert [row["name"] for row in rows] == [f"Monitor {n}" for n in (3, 2, 1, 0)]
    active = every_page(session, "/api/v1/tokens", "status=active")
    assert {row["name"] for row in active} == {"Monitor 1", "Monitor 2", "Monitor 3"}
    # The first characters every list shows find a token; nothing else of its secret is kept.
    prefix = tokens[2].prefix
    assert [row["name"] for row in every_page(session, "/api/v1/tokens", f"q={prefix}")] == [
        "Monitor 2"
    ]
    assert session.get("/api/v1/tokens?sort=key_hash").status_code == 422


def test_the_tokens_page_pages_and_exports_without_secrets(tokens, acme_admin, login):
    client = login(acme_admin)
    page = client.get("/settings/api-tokens/", {"limit": 2}).content.decode()
    assert "Monitor 3" in page and "Monitor 0" not in page and "Next page" in page
    rows = csv_rows(client.get("/settings/api-tokens/", {"format": "csv", "status": "revoked"}))
    assert [(row["Name"], row["Status"]) for row in rows] == [("Monitor 0", "revoked")]
    assert rows[0]["Token"] == tokens[0].masked


def test_service_accounts_have_their_own_paged_page(acme_admin, login):
    admin = actor_of(acme_admin)
    for name in ["ERP", "CRM", "Billing"]:
        services.service_account_create(actor=admin, name=name)
    crm = User.objects.get(name="CRM")
    services.service_account_deactivate(actor=admin, account_id=crm.pk)
    client = login(acme_admin)
    rows = every_page(client, "/api/v1/service-accounts")
    assert [row["name"] for row in rows] == ["Billing", "CRM", "ERP"]
    active = every_page(client, "/api/v1/service-accounts", "status=active")
    assert [row["name"] for row in active] == ["Billing", "ERP"]
    page = client.get("/settings/service-accounts/", {"q": "erp"}).content.decode()
    assert "ERP" in page and "Billing" not in page
    exported = csv_rows(client.get("/settings/service-accounts/", {"format": "csv"}))
    assert [(row["Name"], row["Status"]) for row in exported] == [
        ("Billing", "active"),
        ("CRM", "deactivated"),
        ("ERP", "active"),
    ]
    assert client.get("/settings/service-accounts/", {"status": "gone"}).status_code == 422
    refused = client.post("/settings/service-accounts/", {"name": ""})
    assert refused.status_code == 422


def test_the_pages_cost_the_same_queries_for_a_few_rows_as_for_many(
    acme_admin, make_user, acme, login, django_capture_on_commit_callbacks
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = actor_of(acme_admin)
    client = login(acme_admin)
    pages = ["/coworkers/", "/coworkers/invitations/", "/settings/api-tokens/"]
    pages.append("/settings/service-accounts/")

    def add(n: int) -> None:
        make_user(acme, email=f"q{n}@acme.example")
        with django_capture_on_commit_callbacks(execute=True):
            services.invitation_create(actor=admin, email=f"inv{n}@example.com")
        account = services.service_account_create(actor=admin, name=f"System {n}")
        services.api_token_create(
            actor=admin, name=f"T{n}", scopes=["accounts:read"], service_account_id=account.pk
        )

    def counts() -> dict[str, int]:
        found = {}
        for path in pages:
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200, path
            found[path] = len(queries)
        return found

    add(0)
    few = counts()
    for n in range(1, 4):
        add(n)
    assert counts() == few
