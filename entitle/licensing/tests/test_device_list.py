"""The Devices page and GET /devices page, search, filter (by product, by licence) and export
(entitle.core.listing)."""

import csv
import io

import pytest

from entitle.core.actor import Actor
from entitle.licensing.models import Device
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create


@pytest.fixture
def fleet(owner_credits, skus):
    """Five DCE devices (dc-1…dc-5) and one PCNS device; the DCE licence is on dc-2."""
    devices = [
        device_register(
            actor=owner_credits,
            product=skus["DCE-1Y"].product,
            name=f"dc-{n}",
            host_id=f"HOST-{n}",
            location="Cellar" if n == 3 else "",
        )
        for n in range(1, 6)
    ]
    device_register(
        actor=owner_credits, product=skus["PCNS-3Y"].product, name="ups-1", host_id="UPS-1"
    )
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="d"
    ).licence
    licence_assign(
        actor=owner_credits,
        activation_id=licence.activation_id,
        device_public_id=devices[1].public_id,
    )
    return licence


def test_the_api_pages_every_device_once(fleet, channel, token_client):
    client = token_client(channel.users["owner"])
    names, cursor = [], ""
    while True:
        page = client.get(f"/api/v1/devices?limit=4&sort=-name&cursor={cursor}").json()
        names += [row["name"] for row in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert names == ["ups-1", "dc-5", "dc-4", "dc-3", "dc-2", "dc-1"]


def test_the_api_filters_and_searches(fleet, channel, token_client):
    client = token_client(channel.users["owner"])

    def names(query: str) -> list[str]:
        answer = client.get(f"/api/v1/devices?{query}")
        assert answer.status_code == 200, answer.content
        return [row["name"] for row in answer.json()["items"]]

    assert names("product=pcns") == ["ups-1"]
    assert names(f"licence={fleet.public_id}") == ["dc-1", "dc-2", "dc-3", "dc-4", "dc-5"]
    assert names("q=host-4") == ["dc-4"]
    assert names("q=cellar") == ["dc-3"]
    assert names("q=powerchute") == ["ups-1"]  # its product's name
    assert names("q=nowhere") == []
    for bad in ["licence=not-a-uuid", "sort=host_id", "limit=201", "cursor=%%%"]:
        assert client.get(f"/api/v1/devices?{bad}").status_code == 422, bad


def test_the_page_pages_keeps_the_licence_and_exports(fleet, channel, login):
    client = login(channel.users["owner"])
    page = client.get("/devices/", {"limit": 2}).content.decode()
    assert page.count('class="device"') == 2 and "Next page" in page
    # "Add License to a device": its product's devices, the one carrying it opened.
    carrying = client.get("/devices/", {"licence": str(fleet.public_id)}).content.decode()
    assert carrying.count('class="device"') == 5 and "ups-1" not in carrying
    assert carrying.count(" open>") == 1  # dc-2, which carries it
    assert "No device matches" in client.get("/devices/", {"q": "nowhere"}).content.decode()
    answer = client.get("/devices/", {"format": "csv", "product": "dce", "limit": 1})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [row["Name"] for row in rows] == ["dc-1", "dc-2", "dc-3", "dc-4", "dc-5"]
    assert rows[1]["Licenses"] == fleet.activation_id and rows[0]["Licenses"] == ""


def test_another_companys_licence_id_lists_no_devices(fleet, channel, token_client, skus):
    """Filtering by a licence the reader does not own says nothing about it (not its product)."""
    stranger = Actor.for_user(channel.users["unrelated"])
    device_register(actor=stranger, product=skus["DCE-1Y"].product, name="theirs", host_id="T-1")
    mine = token_client(channel.users["owner"])
    theirs = token_client(channel.users["unrelated"])
    assert [
        d["name"] for d in mine.get(f"/api/v1/devices?licence={fleet.public_id}").json()["items"]
    ] == ["dc-1", "dc-2", "dc-3", "dc-4", "dc-5"]
    assert theirs.get(f"/api/v1/devices?licence={fleet.public_id}").json()["items"] == []
    assert [d["name"] for d in theirs.get("/api/v1/devices").json()["items"]] == ["theirs"]


def test_add_license_offers_a_bounded_choice_and_the_licence_asked_for(
    fleet, owner_credits, skus, channel, login, monkeypatch
):
    """A company with more licences than a select can hold is offered the ones with the most
    cover left, and the licence it came to add (Licenses → Add License to a device)."""
    from entitle.licensing import selectors

    more = [
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=terms, idempotency_key=k
        ).licence
        for terms, k in [(3, "m3"), (2, "m2"), (1, "m1")]
    ]
    monkeypatch.setattr(selectors, "CHOICES", 2)
    owner = login(channel.users["owner"])
    dc1 = Device.objects.get(name="dc-1")
    page = owner.get("/devices/", {"q": "dc-1", "device": str(dc1.public_id)}).content.decode()
    offered = {licence.activation_id for licence in [fleet, *more] if licence.activation_id in page}
    assert offered == {more[0].activation_id, more[1].activation_id}

    asked = owner.get("/devices/", {"q": "dc-1", "licence": str(more[2].public_id)})
    # The licence asked for opens the devices it can go on, with it chosen.
    assert more[2].activation_id in asked.content.decode()


def test_only_an_open_device_draws_its_add_license_choice(
    fleet, owner_credits, skus, channel, login
):
    """A closed device links to the page with it open, where its choice is drawn (a fleet's
    page does not draw fifty selects of fifty licences)."""
    spare = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="spare"
    ).licence
    owner = login(channel.users["owner"])
    page = owner.get("/devices/", {"limit": 2, "q": "dc"}).content.decode()
    assert 'id="assign-' not in page
    dc1 = Device.objects.get(name="dc-1")
    assert f"device={dc1.public_id}" in page
    opened = owner.get("/devices/", {"limit": 2, "q": "dc", "device": str(dc1.public_id)})
    assert opened.content.decode().count('id="assign-') == 1
    assert spare.activation_id in opened.content.decode()
