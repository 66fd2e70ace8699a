import pytest
from playwright.sync_api import expect

from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_redeem_a_voucher_and_see_the_balance(page, partner_po, channel):
    code = partner_po.lines.get(sku__code="DCE-1Y").voucher.code
    log_in(page, channel.users["owner"].email)
    page.get_by_role("navigation").get_by_role("link", name="Digital Vouchers").click()
    expect(page.locator("#balances")).to_contain_text("Your Digital Locker is empty.")

    # A mistyped code is reported as a typo, not as "no such voucher".
    typo = code[:-1] + ("Z" if code[-1] != "Z" else "Y")
    page.get_by_label("Voucher code").fill(typo)
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("alert")).to_contain_text("This voucher code has a typo")

    page.get_by_label("Voucher code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("status")).to_contain_text(
        "25.00 credits of DCE-1Y were added to your Digital Locker."
    )
    expect(page.locator('[data-sku="DCE-1Y"]')).to_have_text("25.00")
    expect(page.locator("#redeem-area table")).to_contain_text("Redeemed")

    page.get_by_label("Voucher code").fill(code)
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("alert")).to_have_text("This voucher has already been redeemed.")
    expect(page.locator('[data-sku="DCE-1Y"]')).to_have_text("25.00")

    page.get_by_role("navigation").get_by_role("link", name="Digital Locker").click()
    expect(page.locator("table")).to_contain_text(f"Voucher {code} redeemed")
