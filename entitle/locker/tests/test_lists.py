"""Digital Vouchers, the locker's balances and its ledger page, search, filter and export
(entitle.core.listing), and never show or find who redeemed a voucher to those who may not
see it."""

import csv
import io

import pytest

from entitle.licensing.services.licences import licence_create
from entitle.orders.services import LineInput, po_fulfil, po_record


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def more_pos(owner_credits, channel, skus, django_capture_on_commit_callbacks):
    """Three more POs of the purchasing entity (PO-2001…2003), one DCE-1Y voucher each, not
    redeemed; PO-1001's two vouchers were redeemed by the owner."""
    c = channel.companies
    for n in range(1, 4):
        po = po_record(
            actor=channel.staff,
            po_number=f"PO-200{n}",
            po_email="orders@northwind.example",
            channel="partner",
            purchasing_entity=c["purchasing"],
            owner=c["owner"],
            lines=[LineInput(skus["DCE-1Y"], n)],
        )
        with django_capture_on_commit_callbacks(execute=True):
            po_fulfil(actor=channel.staff, public_id=po.public_id)


def every_page(client, path: str, limit: int = 2) -> list[dict]:
    rows, cursor = [], ""
    while True:
        answer = client.get(f"{path}{'&' if '?' in path else '?'}limit={limit}&cursor={cursor}")
        assert answer.status_code == 200, answer.content
        page = answer.json()
        rows += page["items"]
        if not page["next_cursor"]:
            return rows
        cursor = page["next_cursor"]


def test_the_voucher_api_pages_filters_and_searches(more_pos, channel, token_client):
    client = token_client(channel.users["purchasing"])
    numbers = [row["po_number"] for row in every_page(client, "/api/v1/vouchers?sort=po")]
    assert numbers == ["PO-1001", "PO-1001", "PO-2001", "PO-2002", "PO-2003"]

    def credits(query: str) -> list[str]:
        answer = client.get(f"/api/v1/vouchers?sort=credits&{query}")
        assert answer.status_code == 200, answer.content
        return [row["credits"] for row in answer.json()["items"]]

    assert credits("status=unredeemed") == ["1.00", "2.00", "3.00"]
    assert credits("po=po-2002") == ["2.00"]
    assert credits("sku=PCNS-3Y") == ["10.00"]
    assert credits("product=dce&status=redeemed") == ["25.00"]
    code = client.get("/api/v1/vouchers?po=PO-2003").json()["items"][0]["code"]
    assert credits("q=" + code.lower()) == ["3.00"]
    # Who redeemed PO-1001's vouchers is not the purchasing entity's to see, nor to find.
    assert credits("q=Acme") == []
    for bad in ["status=lost", "sort=redeemed_by_company", "cursor=!!", "limit=-1"]:
        assert client.get(f"/api/v1/vouchers?{bad}").status_code == 422, bad


def test_the_vouchers_page_pages_and_exports_only_what_the_reader_may_see(more_pos, channel, login):
    purchasing = login(channel.users["purchasing"])
    page = purchasing.get("/vouchers/", {"limit": 2}).content.decode()
    assert page.count("<tr><td><code>") == 2 and "Next page" in page
    assert "No voucher matches" in purchasing.get("/vouchers/", {"q": "PO-9"}).content.decode()
    rows = csv_rows(purchasing.get("/vouchers/", {"format": "csv", "status": "redeemed"}))
    assert len(rows) == 2 and {row["Redeemed by"] for row in rows} == {""}
    owner = csv_rows(login(channel.users["owner"]).get("/vouchers/", {"format": "csv"}))
    assert {row["Redeemed by"] for row in owner} == {"Acme Data Centres"}


def test_a_pos_vouchers_page_and_its_fragment(partner_po, channel, login):
    client = login(channel.users["purchasing"])
    url = f"/orders/{partner_po.public_id}/vouchers/"
    fragment = client.get(url, {"limit": 1}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.count("<code>") == 2  # one voucher: its code and Subscription ID
    assert f'href="{url}?cursor=' in fragment and "<html" not in fragment
    full = client.get(url).content.decode()
    assert "DCE-1Y" in full and "PCNS-3Y" in full and full.index("DCE-1Y") < full.index("PCNS-3Y")


def test_the_balances_and_the_ledger_page_and_filter(
    owner_credits, skus, channel, token_client, login
):
    for n in range(3):
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key=f"l{n}"
        )
    client = token_client(channel.users["owner"])
    balances = every_page(client, "/api/v1/locker?sort=-balance", limit=1)
    assert [(row["sku"], row["balance"]) for row in balances] == [
        ("DCE-1Y", "22.00"),
        ("PCNS-3Y", "10.00"),
    ]
    ledger = every_page(client, "/api/v1/locker/ledger")
    assert [row["kind"] for row in ledger] == ["consumption"] * 3 + ["redemption"] * 2
    assert len(client.get("/api/v1/locker/ledger?sku=PCNS-3Y").json()["items"]) == 1
    assert len(client.get("/api/v1/locker/ledger?kind=redemption").json()["items"]) == 2
    assert client.get("/api/v1/locker/ledger?kind=gift").status_code == 422

    page = login(channel.users["owner"]).get("/locker/", {"limit": 2, "sku": "DCE-1Y"})
    assert "Next page" in page.content.decode()
    rows = csv_rows(login(channel.users["owner"]).get("/locker/", {"format": "csv"}))
    assert [row["What"] for row in rows][:1] == ["Credits consumed"] and len(rows) == 5
