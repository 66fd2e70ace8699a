from decimal import Decimal

from entitle.core import codes
from entitle.locker.models import LedgerEntry


def test_redeem_through_the_api_with_an_idempotency_header(partner_po, channel, token_client):
    client = token_client(channel.users["owner"])
    code = partner_po.lines.get(sku__code="DCE-1Y").voucher.code
    headers = {"Idempotency-Key": "order-42"}
    first = client.post(
        "/api/v1/vouchers/redeem", {"code": code}, content_type="application/json", headers=headers
    )
    again = client.post(
        "/api/v1/vouchers/redeem", {"code": code}, content_type="application/json", headers=headers
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["status"] == "redeemed"
    assert client.get("/api/v1/locker").json()["items"] == [
        {"sku": "DCE-1Y", "product": "Data Center Expert", "term_days": 365, "balance": "25.00"}
    ]
    [entry] = client.get("/api/v1/locker/ledger").json()["items"]
    assert (entry["kind"], entry["amount"], entry["voucher"]) == ("redemption", "25.00", code)
    assert LedgerEntry.objects.count() == 1


def test_redeem_errors_have_codes(partner_po, channel, token_client):
    client = token_client(channel.users["owner"])
    code = partner_po.lines.get(sku__code="DCE-1Y").voucher.code
    typo = code[:3] + ("X" if code[3] != "X" else "Y") + code[4:]

    def redeem(text, key):
        response = client.post(
            "/api/v1/vouchers/redeem",
            {"code": text, "idempotency_key": key},
            content_type="application/json",
        )
        return response.status_code, response.json()["code"]

    assert redeem(typo, "1") == (422, "voucher_code_typo")
    assert redeem(codes.generate(), "2") == (404, "voucher_not_found")
    assert redeem(code, "") == (422, "idempotency_key_invalid")
    assert redeem("", "3") == (422, "voucher_code_required")
    assert redeem(code, "4")[0] == 200
    assert redeem(code, "5") == (409, "voucher_redeemed")


def test_redeem_in_the_portal_shows_the_new_balance(partner_po, channel, login):
    client = login(channel.users["owner"])
    page = client.get("/vouchers/").content.decode()
    assert "Redeem a voucher" in page and "Your Digital Locker is empty." in page
    code = partner_po.lines.get(sku__code="PCNS-3Y").voucher.code
    response = client.post(
        "/vouchers/", {"code": code.lower(), "idempotency_key": "k"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "10.00 credits of PCNS-3Y were added to your Digital Locker." in body
    assert '<span class="amount" data-sku="PCNS-3Y">10.00</span>' in body
    bad = client.post(
        "/vouchers/", {"code": "ABCDE", "idempotency_key": "k2"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 422
    assert "This voucher code has a typo" in bad.content.decode()
    locker = client.get("/locker/").content.decode()
    assert "Voucher " + code + " redeemed" in locker
    assert Decimal("10.00") == LedgerEntry.objects.get().amount


def test_a_po_page_shows_its_vouchers_to_the_purchasing_entity_only(partner_po, channel, login):
    codes_of_po = [line.voucher.code for line in partner_po.lines.all()]
    page = f"/orders/{partner_po.public_id}/"
    purchasing = login(channel.users["purchasing"])
    assert f"/orders/{partner_po.public_id}/vouchers/" in purchasing.get(page).content.decode()
    fragment = purchasing.get(
        f"/orders/{partner_po.public_id}/vouchers/", headers={"HX-Request": "true"}
    ).content.decode()
    assert all(code in fragment for code in codes_of_po)
    assert "<html" not in fragment
    for role in ("reseller", "installer", "unrelated"):
        shown = login(channel.users[role]).get(f"/orders/{partner_po.public_id}/vouchers/")
        assert not any(code in shown.content.decode() for code in codes_of_po), role
