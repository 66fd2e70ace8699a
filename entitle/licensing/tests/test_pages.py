import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entitle.licensing.models import Licence
from entitle.licensing.services.devices import device_register
from entitle.licensing.services.licences import licence_create


def make_licences(actor, skus, n, start=0):
    return [
        licence_create(
            actor=actor, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key=f"l{start + i}"
        ).licence
        for i in range(n)
    ]


def test_licence_list_shows_status_and_its_queries_do_not_grow(owner_credits, skus, channel, login):
    client = login(channel.users["owner"])
    make_licences(owner_credits, skus, 1)
    cache.clear()  # both counted cold (the navigation keeps the company's roles in the cache)
    with CaptureQueriesContext(connection) as one:
        client.get("/licences/")
    make_licences(owner_credits, skus, 5, start=1)
    cache.clear()
    with CaptureQueriesContext(connection) as six:
        page = client.get("/licences/").content.decode()
    assert len(one) == len(six)
    assert page.count('data-status="active"') == 6


def test_expiring_licences_are_amber_and_expired_red(owner_credits, skus, channel, login):
    licence = make_licences(owner_credits, skus, 1)[0]
    day = licence.end_date - timedelta(days=30)
    with time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=UTC), tick=False):
        page = login(channel.users["owner"]).get(f"/licences/{licence.activation_id}/")
        page = page.content.decode()
    assert 'badge-expiring" data-status="expiring">' in page
    assert "Expiring: 30 days left" in page
    end = licence.end_date
    with time_machine.travel(datetime(end.year, end.month, end.day, 9, tzinfo=UTC), tick=False):
        page = login(channel.users["owner"]).get("/licences/").content.decode()
    assert 'badge-expired" data-status="expired"' in page


def test_other_companies_get_404_on_licence_pages(owner_credits, skus, channel, login):
    licence = make_licences(owner_credits, skus, 1)[0]
    for role in ["purchasing", "reseller", "installer", "unrelated"]:
        client = login(channel.users[role])
        for path in ["", "increase/", "renew/"]:
            assert client.get(f"/licences/{licence.activation_id}/{path}").status_code == 404


def test_device_location_and_host_are_the_owners_only(owner_credits, skus, channel, login):
    device_register(
        actor=owner_credits,
        product=skus["DCE-1Y"].product,
        name="Box",
        host_id="SECRET-HOST",
        location="Vault 9",
    )
    # DOMAIN.md: the installation is the owner's to see, and the vendor's own staff's.
    for role in ["owner", "vendor"]:
        assert "SECRET-HOST" in login(channel.users[role]).get("/devices/").content.decode()
    for role in ["purchasing", "reseller", "installer", "unrelated"]:
        page = login(channel.users[role]).get("/devices/").content.decode()
        assert "SECRET-HOST" not in page and "Vault 9" not in page, role


def test_quote_then_create_in_the_portal(owner_credits, channel, login):
    client = login(channel.users["owner"])
    form = {"sku": "DCE-1Y", "quantity": "4", "terms": "2", "idempotency_key": "web-1"}
    quote = client.post("/licences/new/", {**form, "action": "quote"}).content.decode()
    assert "<strong>8.00 credits</strong>" in quote
    priced = re.search(r'name="quoted" value="([^"]*)"', quote).group(1)
    # Spending applies only to what was priced: 5 instead of 4 is priced again, not created.
    changed = client.post(
        "/licences/new/", {**form, "quantity": "5", "action": "apply", "quoted": priced}
    ).content.decode()
    assert "<strong>10.00 credits</strong>" in changed and "check the new price" in changed
    assert not Licence.objects.exists()
    done = client.post(
        "/licences/new/", {**form, "action": "apply", "quoted": priced}, follow=True
    ).content.decode()
    assert "created." in done
    too_many = client.post(
        "/licences/new/", {**form, "quantity": "40", "action": "quote", "idempotency_key": "w2"}
    )
    assert "does not hold enough credits" in too_many.content.decode()
