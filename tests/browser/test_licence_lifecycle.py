"""The seeds' two flows for a Data Center Expert license, step by step as the vendor's help
pages write them, in Chromium. Each confirmation links to the next step."""

import re
from datetime import timedelta

import jwt
import pytest
from django.test import Client
from playwright.sync_api import expect

from conftest import actor_of
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create
from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def licence_on_a_device(channel, skus, *, quantity: int):
    owner = actor_of(channel.users["owner"])
    licence = licence_create(
        actor=owner, sku=skus["DCE-1Y"], quantity=quantity, terms=1, idempotency_key="b1"
    ).licence
    device_register(
        actor=owner, product=skus["DCE-1Y"].product, name="DCE appliance", host_id="HOST-A1"
    )
    # A second device, so that the Devices tab lists them collapsed, as the seeds show it.
    device_register(
        actor=owner, product=skus["DCE-1Y"].product, name="DCE spare", host_id="HOST-A2"
    )
    device = licence.owner.devices.get(host_id="HOST-A1")
    licence_assign(
        actor=owner, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    return licence, device


def claims_of(download) -> dict:
    text = download.path().read_text()
    token = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    keys = jwt.PyJWKSet.from_dict(Client().get("/api/v1/keys").json())
    return jwt.decode(token, keys.keys[0], algorithms=["EdDSA"], options={"verify_iat": False})


def test_update_the_license_quantity(page, owner_credits, channel, skus):
    licence, device = licence_on_a_device(channel, skus, quantity=10)
    log_in(page, channel.users["owner"].email)

    # 1. In the Devices tab, select the license: note its Activation ID.
    page.get_by_role("navigation").get_by_role("link", name="Devices").click()
    appliance = page.locator(f"#device-{device.public_id}")
    expect(appliance.locator(".activation-id")).to_be_hidden()
    appliance.locator("summary").first.click()
    expect(appliance.locator(".activation-id")).to_have_text(licence.activation_id)

    # 2. Licenses tab → the Activation ID → Actions → Increase License Quantity.
    page.get_by_role("navigation").get_by_role("link", name="Licenses").click()
    row = page.get_by_role("row").filter(has_text=licence.activation_id)
    row.get_by_text("Actions").click()
    row.get_by_role("link", name="Increase License Quantity").click()

    # 3. Increase Quantity to 15: the credits follow the remaining term; confirm.
    page.get_by_label("Increase Quantity to").fill("15")
    page.get_by_role("button", name="Show the price").click()
    expect(page.locator(".quote")).to_contain_text("5.00 credits")
    expect(page.locator(".quote")).to_contain_text("days left of the term")
    page.get_by_role("button", name="Increase Quantity").click()
    expect(page.get_by_role("status").first).to_contain_text("Quantity increased to 15")

    # 4. Devices tab, the device, Increase License Quantity: the new quantity; Add License.
    page.get_by_role("status").first.get_by_role("link").click()
    expect(appliance).to_have_attribute("open", "")
    appliance.get_by_text("Action", exact=True).click()
    appliance.get_by_role("link", name="Increase License Quantity").click()
    expect(page.locator(".confirm")).to_contain_text("New License quantity available: 15")
    page.get_by_role("button", name="Add License").click()
    expect(page.get_by_role("status")).to_contain_text("quantity 15: license file #2 is ready")

    # 5. Download the offline license file of the amended license (the confirmation's link).
    with page.expect_download() as download_info:
        page.get_by_role("status").get_by_role("link", name="Download it").click()
    claims = claims_of(download_info.value)
    assert (claims["quantity"], claims["serial"], claims["host_id"]) == (15, 2, "HOST-A1")
    assert re.match(r"^\w{5}-\w{5}-\w{5}-\w{5}-2\.lic$", download_info.value.suggested_filename)


def test_renew_the_license_from_the_digital_vouchers_tab(page, owner_credits, channel, skus):
    licence, device = licence_on_a_device(channel, skus, quantity=10)
    log_in(page, channel.users["owner"].email)

    # 1. Devices tab: the device's name shows its Activation ID (License Key).
    page.get_by_role("navigation").get_by_role("link", name="Devices").click()
    appliance = page.locator(f"#device-{device.public_id}")
    appliance.locator("summary").first.click()
    expect(appliance.locator(".activation-id")).to_have_text(licence.activation_id)

    # 2. Digital Vouchers tab: the credits to use, Renew/Extend License.
    page.get_by_role("navigation").get_by_role("link", name="Digital Vouchers").click()
    credits = page.locator("#balances li").filter(has_text="DCE-1Y")
    credits.get_by_role("link", name="Renew/Extend License").click()

    # 3. The Activation ID; the quantity is the credits per term period.
    page.get_by_label("Activation ID").select_option(value=str(licence.public_id))
    expect(page.get_by_label("Activation ID")).to_contain_text("10 credits per term of 365 days")
    page.get_by_role("button", name="Show the price").click()
    expect(page.locator(".quote")).to_contain_text("10.00 credits")

    # 4. Renew License: back on Digital Vouchers, with the way on.
    page.get_by_role("button", name="Renew License").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital Vouchers")
    new_end = licence.end_date + timedelta(days=365)
    expect(page.get_by_role("status")).to_contain_text("License renewed for 10.00 credits")

    # 5. Consumption History: Completed; then Devices → Action → download.
    page.get_by_role("status").get_by_role("link").click()
    renewal = page.get_by_role("row").filter(has_text="Renew")
    expect(renewal).to_contain_text("Completed")
    renewal.get_by_role("link", name=re.compile("download the new license file")).click()
    expect(appliance).to_have_attribute("open", "")
    appliance.get_by_text("Action", exact=True).click()
    with page.expect_download() as download_info:
        appliance.get_by_role("link", name="Download offline license file").click()
    assert claims_of(download_info.value)["end"] == new_end.isoformat()
