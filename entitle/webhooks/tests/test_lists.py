"""Webhook endpoints and delivery logs page, search, filter and export through
entitle.core.listing: the portal's pages and the API's lists alike."""

import csv
import io

import pytest

from conftest import actor_of
from entitle.webhooks.models import Delivery
from entitle.webhooks.services import endpoint_create, endpoint_test, endpoint_update


def every_page(client, path: str, query: str = "", limit: int = 2) -> list[dict]:
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
def endpoints(acme_admin, globex_admin):
    admin = actor_of(acme_admin)
    made = [
        endpoint_create(
            actor=admin,
            url=f"http://127.0.0.1:9/hook-{n}",
            event_types=["po.recorded"],
            description=f"System {n}",
        )[0]
        for n in range(5)
    ]
    endpoint_update(actor=admin, public_id=made[1].public_id, enabled=False)
    endpoint_create(
        actor=actor_of(globex_admin), url="http://127.0.0.1:9/globex", event_types=["po.recorded"]
    )
    return made


@pytest.fixture
def log(endpoints, acme_admin):
    """Five test deliveries to the first endpoint (made in the same instant, some of them),
    two of them delivered."""
    endpoint = endpoints[0]
    made = [
        endpoint_test(actor=actor_of(acme_admin), public_id=endpoint.public_id, queue=_no_queue)
        for _ in range(5)
    ]
    Delivery.objects.filter(pk__in=[made[0].pk, made[3].pk]).update(status="succeeded")
    return endpoint, made


def _no_queue(*args) -> None:
    """The attempts are not sent: only the log is listed here."""


def test_endpoints_page_through_the_api_and_filter(endpoints, acme_admin, token_client):
    api = token_client(acme_admin, ["webhooks:read"])
    rows = every_page(api, "/api/v1/webhooks")
    assert [row["url"] for row in rows] == [
        f"http://127.0.0.1:9/hook-{n}" for n in range(4, -1, -1)
    ]
    disabled = every_page(api, "/api/v1/webhooks", "status=disabled")
    assert [row["description"] for row in disabled] == ["System 1"]
    assert [row["url"] for row in every_page(api, "/api/v1/webhooks", "q=system 3")] == [
        "http://127.0.0.1:9/hook-3"
    ]
    assert every_page(api, "/api/v1/webhooks", "q=globex") == []
    assert api.get("/api/v1/webhooks?status=sleeping").status_code == 422


def test_the_webhooks_page_pages_and_exports(endpoints, acme_admin, login):
    client = login(acme_admin)
    page = client.get("/settings/webhooks/", {"limit": 2, "sort": "url"}).content.decode()
    assert "hook-0" in page and "hook-1" in page and "hook-2" not in page
    assert "Next page" in page
    rows = csv_rows(client.get("/settings/webhooks/", {"format": "csv", "status": "active"}))
    assert {row["URL"] for row in rows} == {f"http://127.0.0.1:9/hook-{n}" for n in (0, 2, 3, 4)}
    # Creating one still answers with the list and the form (an error: 422).
    refused = client.post("/settings/webhooks/", {"url": "ftp://x", "event_types": []})
    assert refused.status_code == 422 and "hook-4" in refused.content.decode()


def test_the_delivery_log_pages_every_delivery_once_newest_first(log, acme_admin, token_client):
    endpoint, made = log
    api = token_client(acme_admin, ["webhooks:read"])
    path = f"/api/v1/webhooks/{endpoint.public_id}/deliveries"
    rows = every_page(api, path)
    assert [row["id"] for row in rows] == [str(d.public_id) for d in reversed(made)]
    oldest_first = every_page(api, path, "sort=created", limit=3)
    assert [row["id"] for row in oldest_first] == [str(d.public_id) for d in made]
    delivered = every_page(api, path, "status=succeeded")
    assert {row["id"] for row in delivered} == {str(made[0].public_id), str(made[3].public_id)}
    assert every_page(api, path, "event_type=po.recorded") == []
    assert len(every_page(api, path, "event_type=webhook.test")) == 5
    [found] = every_page(api, path, f"q={made[2].message_id}")
    assert found["message_id"] == made[2].message_id
    for bad in ("status=lost", "event_type=po.eaten", "cursor=bm90LWEtY3Vyc29y", "limit=0"):
        assert api.get(f"{path}?{bad}").status_code == 422, bad


def test_the_endpoint_page_pages_its_log_and_exports_it(log, acme_admin, login):
    endpoint, made = log
    client = login(acme_admin)
    path = f"/settings/webhooks/{endpoint.public_id}/"
    page = client.get(path, {"limit": 2}).content.decode()
    assert page.count('class="delivery"') == 2 and "Next page" in page
    found = client.get(path, {"q": made[1].message_id}).content.decode()
    assert found.count('class="delivery"') == 1
    nothing = client.get(path, {"status": "failed"}).content.decode()
    assert "No delivery matches this search." in nothing
    rows = csv_rows(client.get(path, {"format": "csv"}))
    assert [row["Message id"] for row in rows] == [d.message_id for d in reversed(made)]
    assert client.get(path, {"sort": "payload"}).status_code == 422


def test_the_log_page_costs_the_same_queries_for_a_few_deliveries_as_for_many(
    log, acme_admin, login
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    endpoint, _ = log
    client = login(acme_admin)

    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/settings/webhooks/{endpoint.public_id}/").status_code == 200
        return len(queries)

    few = count()
    for _ in range(5):
        endpoint_test(actor=actor_of(acme_admin), public_id=endpoint.public_id, queue=_no_queue)
    assert count() == few
