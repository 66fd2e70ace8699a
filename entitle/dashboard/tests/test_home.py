"""Home: each role's dashboard counts what needs attention, as the people of that role may see
it, with a constant number of queries."""

import json
import re
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import actor_of
from entitle.dashboard.selectors import month_start
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create, licence_suspend
from entitle.renewals.services.partners import partner_listing_save, renewal_request_create
from entitle.renewals.tests.conftest import on
from entitle.sharing.services import delegation_grant, transfer_propose


def tile(page: str, status: str) -> int:
    """The count on the Home tile of a status."""
    found = re.search(rf'data-status="{status}"><span class="count">(\d+)</span>', page)
    assert found, f"no {status} tile"
    return int(found.group(1))


def chart_row(page: str, label: str) -> list[str]:
    """The values of one row of a chart's table."""
    row = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', page, re.S)
    assert row, f"no chart row {label}"
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))


def home(client) -> str:
    answer = client.get("/")
    assert answer.status_code == 200
    return answer.content.decode()


def make(owner, skus, sku: str, quantity: int, key: str):
    return licence_create(
        actor=owner, sku=skus[sku], quantity=quantity, terms=1, idempotency_key=key
    ).licence


def test_the_owner_sees_each_status_that_needs_attention_as_days_pass(
    owner_credits, skus, channel, login
):
    dce = make(owner_credits, skus, "DCE-1Y", 2, "a")
    pcns = make(owner_credits, skus, "PCNS-3Y", 2, "b")
    suspended = make(owner_credits, skus, "DCE-1Y", 1, "c")
    licence_suspend(actor=channel.staff, activation_id=suspended.activation_id, reason="Fraud")
    owner = channel.users["owner"]

    with on(dce.end_date - timedelta(days=10)):
        page = home(login(owner))
    assert (tile(page, "expiring"), tile(page, "grace"), tile(page, "expired")) == (1, 0, 0)
    assert tile(page, "suspended") == 1
    # DCE ends within 30 days (amber); the suspended one counts as suspended only.
    assert "Expiring: 10 days left" in page
    assert chart_row(page, dce.end_date.strftime("%b %Y")) == ["2"]  # both DCE licences
    with on(dce.end_date + timedelta(days=5)):
        page = home(login(owner))
    assert (tile(page, "expiring"), tile(page, "expired")) == (0, 1)
    with on(pcns.end_date + timedelta(days=5)):
        page = home(login(owner))
    # PowerChute keeps working for 60 days after its end; DCE expired long ago is not news.
    assert (tile(page, "grace"), tile(page, "expired"), tile(page, "suspended")) == (1, 0, 1)

    page = home(login(owner))
    assert re.search(r'data-sku="DCE-1Y">22\.00<', page)  # 25 credits, 3 used
    assert re.search(r'data-sku="PCNS-3Y">8\.00<', page)


def test_the_owner_sees_transfers_and_renewal_answers_waiting(
    owner_credits, skus, channel, login, make_user
):
    licence = make(owner_credits, skus, "DCE-1Y", 1, "t")
    transfer_propose(
        actor=owner_credits, activation_id=licence.activation_id, to_email="unrelated@example.com"
    )
    page = home(login(channel.users["owner"]))
    assert "waits for their answer" in page and "Umbrella Unrelated" in page
    receiving = home(login(channel.users["unrelated"]))
    assert "Acme Data Centres offers you the Data Center Expert license" in receiving


def test_a_partner_sees_what_it_sold_ending_and_its_pipeline_at_partner_prices(
    owner_credits, skus, channel, login
):
    licence = make(owner_credits, skus, "DCE-1Y", 2, "p")
    device = device_register(
        actor=owner_credits,
        product=licence.product,
        name="dce-secret",
        host_id="HOST-9",
        location="Leeds",
    )
    licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    channel.companies["reseller"].is_partner = True
    channel.companies["reseller"].save()
    partner_listing_save(
        actor=actor_of(channel.users["reseller"]), product_codes=["dce"], summary="DCE"
    )
    renewal_request_create(
        actor=owner_credits,
        activation_id=licence.activation_id,
        partner_id=channel.companies["reseller"].pk,
    )
    with on(licence.end_date - timedelta(days=40)):
        page = home(login(channel.users["reseller"]))
    assert "What Bluebird IT Resellers sold" in page
    assert tile_text(page, "Ending in the next 6 months") == 1
    assert "PO-1001" in page and "DCE-1Y" in page
    # 2 × the DCE-1Y partner price (EUR 40.00), in the month the licence ends.
    assert chart_row(page, licence.end_date.strftime("%b %Y")) == ["EUR 80.00"]
    assert tile_text(page, "Renewal request to answer") == 1
    # Entitlement information only: never the owner, its devices or their location.
    for secret in ["Acme", "dce-secret", "HOST-9", "Leeds"]:
        assert secret not in page


def tile_text(page: str, label: str) -> int:
    found = re.search(rf'<span class="count">(\d+)</span>{label}', page)
    assert found, f"no tile {label}"
    return int(found.group(1))


def test_an_installer_sees_the_devices_it_manages_for_customers(
    owner_credits, skus, channel, login
):
    licence = make(owner_credits, skus, "PCNS-3Y", 3, "i")
    device = device_register(
        actor=owner_credits, product=licence.product, name="pcns-node", host_id="H-1"
    )
    licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    client = login(channel.users["installer"])
    assert "pcns-node" not in home(client)  # the installer role alone shows no installation
    delegation_grant(
        actor=owner_credits,
        email=channel.users["installer"].email,
        role="manage",
        activation_id=licence.activation_id,
    )
    cache.clear()  # Home's numbers are kept a couple of minutes
    page = home(client)
    assert "Devices Initech Managed Services manages" in page
    assert tile_text(page, "Device of customers") == 1
    assert "pcns-node" in page and 'data-status="active"' in page


def test_vendor_staff_see_pos_to_fulfil_unredeemed_vouchers_and_validations(
    channel, skus, login, partner_po
):
    for host in ("H-1", "H-2"):  # products asking, answered (here: not a key we know)
        answer = Client().post(
            "/api/v1/product/validate",
            json.dumps({"activation_id": "ABCDE-FGHJK-LMNPQ-RSTUV", "host_id": host}),
            content_type="application/json",
        )
        assert answer.status_code == 200
    page = home(login(channel.users["vendor"]))
    assert tile_text(page, "POs awaiting fulfilment") == 0
    assert tile_text(page, "Unredeemed vouchers") == 2
    today = chart_row_last(page, "validations")
    assert today == ["2"]
    # No customer wording for staff.
    assert "Your licenses" not in page and "Digital Locker" not in page


def chart_row_last(page: str, key: str) -> list[str]:
    figure = re.search(rf'id="chart-{key}".*?</figure>', page, re.S).group(0)
    rows = re.findall(r"<tr><th scope=\"row\">[^<]*</th>(.*?)</tr>", figure, re.S)
    return re.findall(r'<td class="num">([^<]*)</td>', rows[-1])


def test_home_costs_the_same_queries_with_more_data(owner_credits, skus, channel, login):
    make(owner_credits, skus, "DCE-1Y", 1, "q0")
    clients = {role: login(channel.users[role]) for role in ("owner", "reseller", "vendor")}

    def counted() -> dict[str, int]:
        result = {}
        for role, client in clients.items():
            cache.clear()  # counted cold: the numbers and roles are computed, not cached
            with CaptureQueriesContext(connection) as queries:
                home(client)
            result[role] = len(queries)
        return result

    few = counted()
    for n in range(1, 5):
        make(owner_credits, skus, "DCE-1Y", 1, f"q{n}")
    assert counted() == few


def test_month_start_steps_over_years():
    assert month_start(date(2026, 11, 30), 3) == date(2027, 2, 1)
    assert month_start(date(2026, 1, 15), -1) == date(2025, 12, 1)


def test_homes_numbers_are_kept_for_a_while_and_say_how_old_they_are(
    owner_credits, skus, channel, login
):
    client = login(channel.users["owner"])
    make(owner_credits, skus, "DCE-1Y", 1, "k1")
    first = home(client)
    assert tile_text(first, "License") == 1
    with CaptureQueriesContext(connection) as again:
        home(client)
    make(owner_credits, skus, "DCE-1Y", 1, "k2")
    assert tile_text(home(client), "License") == 1  # as of the first visit
    assert "Counts as of" in first
    cache.clear()
    assert tile_text(home(client), "Licenses") == 2
    with CaptureQueriesContext(connection) as cold:
        cache.clear()
        home(client)
    assert len(again) < len(cold)
