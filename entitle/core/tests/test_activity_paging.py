"""Activity pages page (newest first, keyset on the event's time and id), keep their filters
and sentences, and export the whole filtered list; a licence's history pages in the API."""

import csv
import io
import re

import pytest

from entitle.licensing.services.devices import device_register
from entitle.licensing.services.licences import licence_create, licence_increase
from entitle.sharing.services import delegation_grant


def sentences(page: str) -> list[str]:
    cells = re.findall(r'<td class="sentence">(.*?)</td>', page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def next_link(page: str) -> str | None:
    found = re.search(r'<a rel="next" href="\?([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def busy(owner_credits, skus):
    """A licence created and increased six times: seven events on it."""
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="b0"
    ).licence
    for n in range(2, 8):
        licence_increase(
            actor=owner_credits,
            activation_id=licence.activation_id,
            quantity=n,
            idempotency_key=f"b{n}",
        )
    return licence


def test_a_licences_activity_page_pages_through_every_event_once(busy, channel, login):
    client = login(channel.users["owner"])
    url = f"/licences/{busy.public_id}/activity/"
    seen, query = [], "limit=3"
    while query:
        page = client.get(f"{url}?{query}").content.decode()
        lines = sentences(page)
        assert len(lines) <= 3
        seen += lines
        query = next_link(page)
    assert len(seen) == 7 and len(set(seen)) == 7
    assert "created the license" in seen[-1]  # newest first
    oldest = sentences(client.get(url, {"sort": "when", "limit": 1}).content.decode())
    assert "created the license" in oldest[0]


def test_filters_and_the_csv_of_the_whole_filtered_list(busy, channel, login):
    client = login(channel.users["owner"])
    url = f"/licences/{busy.public_id}/activity/"
    increased = client.get(url, {"action": "licence.increased", "limit": 2}).content.decode()
    assert len(sentences(increased)) == 2 and next_link(increased)
    export = client.get(url, {"action": "licence.increased", "limit": 2, "format": "csv"})
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert table[0] == ["when", "who", "what happened", "to what", "details"]
    assert len(table) == 7
    nothing = client.get(url, {"until": "2000-01-01"}).content.decode()
    assert "Nothing matches this filter." in nothing
    assert 'value="2000-01-01"' in nothing  # the date input keeps the filter
    assert client.get(url, {"action": "licence.exploded"}).status_code == 422
    assert client.get(url, {"since": "soon"}).status_code == 422


def test_the_api_pages_a_licences_history_and_hides_the_owner_from_delegates(
    busy, owner_credits, channel, token_client
):
    delegation_grant(
        actor=owner_credits,
        email=channel.users["installer"].email,
        role="manage",
        activation_id=busy.activation_id,
    )
    client = token_client(channel.users["installer"])
    url = f"/api/v1/licences/{busy.activation_id}/activity"
    events, cursor = [], ""
    while True:
        page = client.get(f"{url}?limit=4&cursor={cursor}").json()
        events += page["items"]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert [event["action"] for event in events[-1:]] == ["licence.created"]
    assert len(events) >= 7
    assert {event["actor"] for event in events if event["action"].startswith("licence.")} == {
        "The license owner"
    }
    owner = token_client(channel.users["owner"]).get(f"{url}?action=licence.created").json()
    assert [event["actor"] for event in owner["items"]] == [channel.users["owner"].email]
    assert client.get(f"{url}?kind=nothing").status_code == 422


def test_a_device_page_and_a_po_page_page_too(owner_credits, skus, channel, login, partner_po):
    device = device_register(
        actor=owner_credits, product=skus["DCE-1Y"].product, name="rack-1", host_id="H-1"
    )
    owner = login(channel.users["owner"])
    page = owner.get(f"/devices/{device.public_id}/activity/").content.decode()
    assert sentences(page) and "registered" in sentences(page)[0]
    staff = login(channel.users["vendor"])
    first = staff.get(f"/orders/{partner_po.public_id}/activity/", {"limit": 1}).content.decode()
    assert len(sentences(first)) == 1 and next_link(first)
    rest = staff.get(f"/orders/{partner_po.public_id}/activity/?{next_link(first)}")
    assert sentences(rest.content.decode()) != sentences(first)
