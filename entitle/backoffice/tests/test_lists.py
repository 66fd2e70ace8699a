"""The back office's indexes page, search, sort, filter and export (entitle.core.listing): no
index stops at its newest rows any more, and a company's page links to its full lists."""

import csv
import io
import re
from urllib.parse import unquote

import pytest
from django.core.cache import cache

from conftest import new_user
from entitle.licensing.models import Licence
from entitle.licensing.services.devices import device_register
from entitle.licensing.services.licences import licence_create
from entitle.locker.models import Voucher
from entitle.orders.services import LineInput, po_fulfil, po_record


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def every_page(client, path: str, query: dict, pattern: str, limit: int = 2) -> list[str]:
    """What `pattern` finds on every page, following the pager's next link to the end."""
    found, params = [], {**query, "limit": limit}
    while True:
        page = client.get(path, params)
        assert page.status_code == 200, page.content
        body = page.content.decode()
        rows = re.findall(pattern, body)
        assert len(rows) <= limit
        found += rows
        cursor = re.search(r'rel="next" href="\?[^"]*cursor=([^"&]+)', body)
        if not cursor:
            return found
        params = {**params, "cursor": unquote(cursor.group(1))}


@pytest.fixture
def staff(channel, login):
    return login(channel.users["vendor"])


@pytest.fixture
def orders(channel, skus, partner_po):
    """PO-1001 (fulfilled) and BO-1 … BO-4 for the owner: BO-2 a direct order of the owner,
    BO-4 placed by the installer, the others by the purchasing company; BO-3 fulfilled."""
    c = channel.companies
    purchasers = {1: "purchasing", 2: "owner", 3: "purchasing", 4: "installer"}
    made = {}
    for n, purchaser in purchasers.items():
        made[n] = po_record(
            actor=channel.staff,
            po_number=f"BO-{n}",
            po_email="buyer@example.com",
            channel="direct" if n == 2 else "partner",
            purchasing_entity=c[purchaser],
            owner=c["owner"],
            lines=[LineInput(skus["DCE-1Y"], n)],
        )
    po_fulfil(actor=channel.staff, public_id=made[3].public_id)
    return made


PO_LINK = r'/backoffice/orders/[0-9a-f-]+/">([A-Z]+-[0-9]+)</a>'


def test_the_po_index_pages_filters_searches_and_exports(orders, channel, staff):
    everyone = every_page(staff, "/backoffice/orders/", {}, PO_LINK)
    assert everyone == ["BO-4", "BO-3", "BO-2", "BO-1", "PO-1001"]
    by_number = every_page(staff, "/backoffice/orders/", {"sort": "po"}, PO_LINK, limit=3)
    assert by_number == ["BO-1", "BO-2", "BO-3", "BO-4", "PO-1001"]
    waiting = every_page(staff, "/backoffice/orders/", {"status": "recorded"}, PO_LINK)
    assert waiting == ["BO-4", "BO-2", "BO-1"]
    installer = channel.companies["installer"].pk
    assert every_page(staff, "/backoffice/orders/", {"purchaser": installer}, PO_LINK) == ["BO-4"]
    assert every_page(staff, "/backoffice/orders/", {"q": "bo-2"}, PO_LINK) == ["BO-2"]
    found = every_page(staff, "/backoffice/orders/", {"q": "initech"}, PO_LINK)
    assert found == ["BO-4"]
    rows = csv_rows(staff.get("/backoffice/orders/", {"format": "csv", "channel": "direct"}))
    assert [(row["PO number"], row["Purchasing entity"]) for row in rows] == [
        ("BO-2", "Acme Data Centres")
    ]
    assert staff.get("/backoffice/orders/", {"status": "lost"}).status_code == 422
    assert staff.get("/backoffice/orders/", {"purchaser": "acme"}).status_code == 422


VOUCHER_LINK = r"/backoffice/vouchers/\d+/\"><code>([A-Z0-9-]+)</code>"


def test_the_voucher_index_pages_filters_searches_and_exports(orders, owner_credits, staff):
    codes = list(Voucher.objects.order_by("-issued_at", "-pk").values_list("code", flat=True))
    assert len(codes) == 3
    assert every_page(staff, "/backoffice/vouchers/", {}, VOUCHER_LINK) == codes
    unredeemed = every_page(staff, "/backoffice/vouchers/", {"status": "unredeemed"}, VOUCHER_LINK)
    assert unredeemed == [Voucher.objects.get(line__po__po_number="BO-3").code]
    by_po = every_page(staff, "/backoffice/vouchers/", {"q": "PO-1001"}, VOUCHER_LINK)
    assert len(by_po) == 2
    typed = codes[1].lower().replace("-", " ")
    assert every_page(staff, "/backoffice/vouchers/", {"q": typed}, VOUCHER_LINK) == [codes[1]]
    rows = csv_rows(staff.get("/backoffice/vouchers/", {"format": "csv", "sku": "PCNS-3Y"}))
    assert [row["PO number"] for row in rows] == ["PO-1001"]
    assert staff.get("/backoffice/vouchers/", {"sku": "no such; sku"}).status_code == 422


@pytest.fixture
def estate(owner_credits, channel, skus):
    """Three licences and three devices of the owner."""
    for n in range(3):
        licence_create(
            actor=owner_credits,
            sku=skus["DCE-1Y"],
            quantity=n + 1,
            terms=1,
            idempotency_key=f"bo-list-{n}",
        )
        device_register(
            actor=owner_credits,
            product=skus["DCE-1Y"].product,
            name=f"Rack {n}",
            host_id=f"HOST-BO-{n}",
            location="Hall 2",
        )
    return Licence.objects.order_by("-created_at", "-pk")


LICENCE_LINK = r"/backoffice/licences/[0-9a-f-]+/\"><code>([A-Z0-9-]+)</code>"


def test_the_licence_index_pages_filters_searches_and_exports(estate, channel, staff):
    ids = [licence.activation_id for licence in estate]
    assert every_page(staff, "/backoffice/licences/", {}, LICENCE_LINK) == ids
    owner = channel.companies["owner"].pk
    assert every_page(staff, "/backoffice/licences/", {"owner": owner}, LICENCE_LINK) == ids
    assert every_page(staff, "/backoffice/licences/", {"owner": owner + 99}, LICENCE_LINK) == []
    assert every_page(staff, "/backoffice/licences/", {"q": ids[1]}, LICENCE_LINK) == [ids[1]]
    assert every_page(staff, "/backoffice/licences/", {"q": "acme data"}, LICENCE_LINK) == ids
    assert every_page(staff, "/backoffice/licences/", {"status": "suspended"}, LICENCE_LINK) == []
    rows = csv_rows(staff.get("/backoffice/licences/", {"format": "csv", "sort": "quantity"}))
    assert [row["Quantity"] for row in rows] == ["1", "2", "3"]
    assert {row["Owner"] for row in rows} == {"Acme Data Centres"}
    assert staff.get("/backoffice/licences/", {"status": "mostly"}).status_code == 422


def test_the_device_index_pages_filters_searches_and_exports(estate, channel, staff):
    pattern = r"<td>(Rack \d)</td>"
    assert every_page(staff, "/backoffice/devices/", {}, pattern) == ["Rack 2", "Rack 1", "Rack 0"]
    assert every_page(staff, "/backoffice/devices/", {"q": "host-bo-1"}, pattern) == ["Rack 1"]
    assert every_page(staff, "/backoffice/devices/", {"product": "PCNS"}, pattern) == []
    unrelated = channel.companies["unrelated"].pk
    assert every_page(staff, "/backoffice/devices/", {"owner": unrelated}, pattern) == []
    rows = csv_rows(staff.get("/backoffice/devices/", {"format": "csv", "sort": "host"}))
    assert [row["Host id"] for row in rows] == ["HOST-BO-0", "HOST-BO-1", "HOST-BO-2"]
    assert {row["Location"] for row in rows} == {"Hall 2"}
    assert staff.get("/backoffice/devices/", {"sort": "location"}).status_code == 422


def test_the_company_index_pages_searches_and_exports(channel, staff):
    pattern = r'/backoffice/companies/\d+/">([^<]+)</a>'
    names = every_page(staff, "/backoffice/companies/", {}, pattern)
    assert names == sorted(names) and len(names) == 6
    assert every_page(staff, "/backoffice/companies/", {"q": "data"}, pattern) == [
        "Acme Data Centres"
    ]
    rows = csv_rows(staff.get("/backoffice/companies/", {"format": "csv", "q": "north"}))
    assert [(row["Id"], row["Name"]) for row in rows] == [
        (str(channel.companies["purchasing"].pk), "Northwind Distribution")
    ]
    assert staff.get("/backoffice/companies/", {"partner": "maybe"}).status_code == 422


def test_a_companys_page_shows_the_first_rows_and_links_to_its_full_lists(
    orders, channel, staff, monkeypatch
):
    from entitle.backoffice import selectors

    monkeypatch.setattr(selectors, "SHORT", 2)
    northwind = channel.companies["purchasing"]
    for n in range(3):
        new_user(northwind, name=f"Buyer {n}", email=f"buyer{n}@northwind.example")
    cache.clear()
    page = staff.get(f"/backoffice/companies/{northwind.pk}/").content.decode()
    assert page.count("@example.com</td>") + page.count("@northwind.example</td>") == 2
    assert "All its people" in page and "All the POs it placed" in page
    assert f"/backoffice/orders/?purchaser={northwind.pk}" in page
    assert f"/backoffice/licences/?owner={northwind.pk}" in page
    people = f"/backoffice/companies/{northwind.pk}/people/"
    everyone = every_page(staff, people, {}, r"<td>([^<]+@[^<]+)</td>")
    assert len(everyone) == 4 and "purchasing@example.com" in everyone
    rows = csv_rows(staff.get(people, {"format": "csv", "q": "buyer"}))
    assert [row["Email"] for row in rows] == [f"buyer{n}@northwind.example" for n in range(3)]
    assert staff.get(people, {"kind": "robot"}).status_code == 422
    assert staff.get("/backoffice/companies/999999/people/").status_code == 404


def test_the_indexes_are_staff_only(channel, login):
    owner = login(channel.users["owner"])
    for path in [
        "/backoffice/orders/",
        f"/backoffice/companies/{channel.companies['owner'].pk}/people/",
    ]:
        assert owner.get(path, {"format": "csv"}).status_code == 403


STAFF_PAGES = [
    "/backoffice/orders/",
    "/backoffice/vouchers/",
    "/backoffice/licences/",
    "/backoffice/devices/",
    "/backoffice/companies/",
]


def test_a_page_of_an_index_costs_the_same_queries_for_a_few_rows_as_for_many(
    owner_credits, channel, skus, staff
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> dict[str, int]:
        found = {}
        for path in STAFF_PAGES:
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(path).status_code == 200, path
            found[path] = len(queries)
        return found

    def add(n: int) -> None:
        po = po_record(
            actor=channel.staff,
            po_number=f"QC-{n}",
            po_email="q@example.com",
            channel="partner",
            purchasing_entity=channel.companies["purchasing"],
            owner=channel.companies["owner"],
            lines=[LineInput(skus["DCE-1Y"], 2), LineInput(skus["PCNS-1Y"], 1)],
        )
        po_fulfil(actor=channel.staff, public_id=po.public_id)
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key=f"q{n}"
        )
        device_register(
            actor=owner_credits, product=skus["DCE-1Y"].product, name=f"d{n}", host_id=f"QH{n}"
        )

    add(0)
    few = counts()
    for n in range(1, 5):
        add(n)
    assert counts() == few
