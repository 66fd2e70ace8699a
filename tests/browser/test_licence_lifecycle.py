import re

import jwt
import pytest
from django.test import Client
from playwright.sync_api import expect

from conftest import actor_of
from entitle.licensing.services.devices import device_register
from entitle.licensing.services.licences import licence_create
from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_increase_then_add_license_then_download(page, owner_credits, channel, skus):
    owner = actor_of(channel.users["owner"])
    licence = licence_create(
        actor=owner, sku=skus["DCE-1Y"], quantity=10, terms=1, idempotency_key="b1"
    ).licence
    device_register(
        actor=owner, product=skus["DCE-1Y"].product, name="DCE appliance", host_id="HOST-A1"
    )
    log_in(page, channel.users["owner"].email)

    page.get_by_role("navigation").get_by_role("link", name="Devices").click()
    page.get_by_role("button", name="Add License").click()
    expect(page.get_by_role("status")).to_contain_text("licence file #1 is ready")

    page.get_by_role("navigation").get_by_role("link", name="Licenses").click()
    row = page.get_by_role("row").filter(has_text=licence.activation_id)
    row.get_by_text("Actions").click()
    row.get_by_role("link", name="Increase License Quantity").click()
    page.get_by_label("Increase Quantity to").fill("15")
    page.get_by_role("button", name="Show the price").click()
    expect(page.locator(".quote")).to_contain_text("5.00 credits")
    page.get_by_role("button", name="Increase Quantity").click()
    expect(page.get_by_role("status").first).to_contain_text("Quantity increased to 15")

    page.get_by_role("navigation").get_by_role("link", name="Devices").click()
    expect(page.locator("form.notice")).to_contain_text("New License quantity available: 15")
    page.locator("form.notice").get_by_role("button", name="Add License").click()
    expect(page.get_by_role("status")).to_contain_text("quantity 15: licence file #2")

    page.get_by_text("Action", exact=True).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download offline license file").click()
    text = download_info.value.path().read_text()
    token = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    keys = jwt.PyJWKSet.from_dict(Client().get("/api/v1/keys").json())
    claims = jwt.decode(token, keys.keys[0], algorithms=["EdDSA"], options={"verify_iat": False})
    assert (claims["quantity"], claims["serial"], claims["host_id"]) == (15, 2, "HOST-A1")
    assert re.match(r"^\w{5}-\w{5}-\w{5}-\w{5}-2\.lic$", download_info.value.suggested_filename)
