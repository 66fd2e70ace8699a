"""Consumption History pages, filters, searches and exports every use of the company's
credits (no cut at 200), in the portal, the API and the CSV alike."""

import csv
import io

import pytest

from entitle.licensing.services.licences import licence_create, licence_increase, licence_renew


@pytest.fixture
def used(owner_credits, skus):
    """Four uses of credits: two licences created, one increased, one renewed."""
    first = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="c1"
    ).licence
    licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=1, terms=1, idempotency_key="c2"
    )
    licence_increase(
        actor=owner_credits, activation_id=first.activation_id, quantity=3, idempotency_key="i"
    )
    licence_renew(
        actor=owner_credits, activation_id=first.activation_id, terms=1, idempotency_key="r"
    )
    return first


def test_the_api_pages_through_every_use_newest_first(used, channel, token_client):
    client = token_client(channel.users["owner"])
    kinds, cursor = [], ""
    while True:
        page = client.get(f"/api/v1/consumption?limit=1&cursor={cursor}").json()
        kinds += [row["kind"] for row in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert kinds == ["renew", "increase", "create", "create"]


def test_the_api_filters_and_searches(used, channel, token_client):
    client = token_client(channel.users["owner"])

    def kinds(query: str) -> list[str]:
        answer = client.get(f"/api/v1/consumption?{query}")
        assert answer.status_code == 200, answer.content
        return [row["kind"] for row in answer.json()["items"]]

    assert kinds("kind=create") == ["create", "create"]
    assert kinds("status=failed") == []
    assert kinds("sku=pcns-3y") == ["create"]
    assert kinds("q=" + used.activation_id.lower()) == ["renew", "increase", "create"]
    assert kinds("q=PCNS-3Y&sort=when") == ["create"]
    for bad in ["kind=delete", "since=yesterday", "sort=idempotency_key", "cursor=eA"]:
        assert client.get(f"/api/v1/consumption?{bad}").status_code == 422, bad


def test_the_page_pages_and_exports_everything_filtered(used, channel, login):
    client = login(channel.users["owner"])
    page = client.get("/consumption/", {"limit": 2}).content.decode()
    assert "Next page" in page and page.count('<td class="num">') == 2
    assert (
        "No use of credits matches" in client.get("/consumption/", {"q": "DCE-5Y"}).content.decode()
    )
    answer = client.get("/consumption/", {"format": "csv", "limit": 1, "sku": "DCE-1Y"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [row["What"] for row in rows] == [
        "Renew / extend",
        "Increase quantity",
        "Create licence",
    ]
    assert {row["Activation ID"] for row in rows} == {used.activation_id}
