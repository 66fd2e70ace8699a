"""Devices tab: deactivate a device, then rehost the licence, and read the activation history."""

import pytest
from playwright.sync_api import expect

from conftest import actor_of
from entitle.licensing.models import Device
from entitle.licensing.services.licences import licence_create
from entitle.licensing.services.product import ProductRequest, product_activate, product_validate
from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def activate(licence, host: str) -> str:
    request = ProductRequest.of(activation_id=licence.activation_id, host_id=host)
    return product_activate(request).code


def test_deactivate_a_device_then_rehost_its_licence(page, owner_credits, channel, skus):
    owner = actor_of(channel.users["owner"])
    licence = licence_create(
        actor=owner, sku=skus["DCE-1Y"], quantity=3, terms=1, idempotency_key="b-dev"
    ).licence
    assert activate(licence, "HOST-A") == "VALID"
    assert activate(licence, "HOST-B") == "TOO_MANY_DEVICES"  # one device per DCE licence
    log_in(page, channel.users["owner"].email)

    page.get_by_role("navigation").get_by_role("link", name="Devices").click()
    first = page.locator(f"#device-{Device.objects.get(host_id='HOST-A').public_id}")
    first.locator("summary").first.click()  # expand the device: its Activation ID
    expect(first.locator(".activation-id")).to_have_text(licence.activation_id)
    first.get_by_text("Action", exact=True).click()
    first.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("deactivated on HOST-A")
    expect(first).to_contain_text("No license on this device.")
    # The seat is free: the product activates on another host.
    assert activate(licence, "HOST-B") == "VALID"

    page.reload()
    second = page.locator(f"#device-{Device.objects.get(host_id='HOST-B').public_id}")
    second.locator("summary").first.click()
    second.get_by_text("Action", exact=True).click()
    second.get_by_label("New host id").fill("host-c")
    second.get_by_label("Device name").fill("replacement appliance")
    second.get_by_role("button", name="Rehost").click()
    expect(page.get_by_role("status")).to_contain_text("moved to host HOST-C")
    expect(page.locator(".device", has_text="replacement appliance")).to_contain_text(
        licence.activation_id
    )
    request = ProductRequest.of(activation_id=licence.activation_id, host_id="HOST-B")
    assert product_validate(request).code == "DEACTIVATED"

    page.goto(f"/licences/{licence.public_id}/")
    history = page.locator("table.history")
    expect(history).to_contain_text("Rehosted from HOST-B")
    expect(history).to_contain_text("Deactivated")
    expect(history.locator("tr", has_text="Deactivated")).to_contain_text("HOST-A")
    expect(history.locator("tr", has_text="Deactivated")).to_contain_text("127.0.0.1")
