"""Action menus offer only what the actor may do and the licence's state allows; the seeds'
steps (Renew/Extend License from the Digital Vouchers tab, Increase License Quantity on a
device) each lead to the next."""

import re
from datetime import timedelta

from django.utils import timezone

from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create, licence_suspend
from entitle.renewals.tests.conftest import on
from entitle.renewals.tests.test_pages import nmc_licence
from entitle.sharing.services import delegation_grant

OFFERS = [
    "Increase License Quantity",
    "Renew License",
    "Renewal options",
    "Buy a new subscription",
    "Add License to a device",
]


def offered(page: str) -> list[str]:
    menu = re.search(r'<details class="menu">.*?</details>', page, re.S)
    return [offer for offer in OFFERS if menu and offer in menu.group(0)]


def make(owner, skus, sku="DCE-1Y", quantity=2, key="m"):
    return licence_create(
        actor=owner, sku=skus[sku], quantity=quantity, terms=1, idempotency_key=key
    ).licence


def test_a_view_delegate_gets_no_action_and_a_manage_delegate_gets_them(
    owner_credits, skus, channel, login
):
    licence = make(owner_credits, skus)
    for user, role in [("reseller", "view"), ("installer", "manage")]:
        delegation_grant(
            actor=owner_credits,
            email=channel.users[user].email,
            role=role,
            activation_id=licence.activation_id,
        )
    url = f"/licences/{licence.public_id}/"
    assert offered(login(channel.users["reseller"]).get(url).content.decode()) == []
    managed = offered(login(channel.users["installer"]).get(url).content.decode())
    assert managed == [
        "Increase License Quantity",
        "Renew License",
        "Renewal options",
        "Add License to a device",
    ]
    # Sharing and transfer stay the owner's.
    assert "Transfer license" not in login(channel.users["installer"]).get(url).content.decode()
    assert "Transfer license" in login(channel.users["owner"]).get(url).content.decode()


def test_an_expired_secure_nmc_offers_only_a_new_subscription(
    channel, skus, login, django_capture_on_commit_callbacks
):
    licence = nmc_licence(channel, skus, django_capture_on_commit_callbacks)
    url = f"/licences/{licence.public_id}/"
    with on(licence.end_date - timedelta(days=5)):
        assert "Buy a new subscription" not in offered(
            login(channel.users["owner"]).get(url).content.decode()
        )
    with on(licence.end_date + timedelta(days=1)):
        page = login(channel.users["owner"]).get(url).content.decode()
    assert offered(page) == ["Buy a new subscription"]


def test_powerchute_in_grace_renews_but_does_not_grow_and_a_suspended_one_offers_nothing(
    owner_credits, skus, channel, login
):
    pcns = make(owner_credits, skus, "PCNS-3Y", 2, "g")
    with on(pcns.end_date + timedelta(days=10)):
        page = login(channel.users["owner"]).get(f"/licences/{pcns.public_id}/").content.decode()
    assert offered(page) == ["Renew License", "Renewal options", "Add License to a device"]
    dce = make(owner_credits, skus, key="s")
    licence_suspend(actor=channel.staff, activation_id=dce.activation_id, reason="Audit")
    page = login(channel.users["owner"]).get(f"/licences/{dce.public_id}/").content.decode()
    assert offered(page) == []


def test_renew_extend_from_the_digital_vouchers_tab(owner_credits, skus, channel, login):
    licence = make(owner_credits, skus, quantity=3)
    client = login(channel.users["owner"])
    vouchers = client.get("/vouchers/").content.decode()
    start = re.search(r'href="(/vouchers/renew/\?sku=DCE-1Y)"', vouchers).group(1)
    chooser = client.get(start).content.decode()
    assert '<option value="" selected>Choose the Activation ID</option>' in chooser
    assert f"{licence.activation_id} · quantity 3: 3 credits per term of 365 days" in chooser
    form = {"licence": str(licence.public_id), "terms": "1", "idempotency_key": "v1"}
    quote = client.post(start, {**form, "action": "quote"}).content.decode()
    assert "<strong>3.00 credits</strong>" in quote and "Please confirm" in quote
    priced = re.search(r'name="quoted" value="([^"]*)"', quote).group(1)
    done = client.post(start, {**form, "action": "apply", "quoted": priced}, follow=True)
    page = done.content.decode()
    assert done.redirect_chain[-1][0] == "/vouchers/"  # back on Digital Vouchers
    assert "License renewed for 3.00 credits" in page
    assert 'href="/consumption/">Next: Consumption History' in page
    history = client.get("/consumption/").content.decode()
    assert f'href="/devices/?licence={licence.public_id}">download the new license file' in history


def test_a_device_shows_the_new_quantity_available_then_add_license_links_the_download(
    owner_credits, skus, channel, login
):
    licence = make(owner_credits, skus, quantity=10)
    device = device_register(
        actor=owner_credits, product=licence.product, name="dce-1", host_id="H-DCE-1"
    )
    licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    client = login(channel.users["owner"])
    url = f"/devices/{device.public_id}/licences/{licence.public_id}/increase/"
    assert "No new quantity is available" in client.get(url).content.decode()
    form = {"quantity": "15", "idempotency_key": "i1"}
    increase = f"/licences/{licence.public_id}/increase/"
    quote = client.post(increase, {**form, "action": "quote"}).content.decode()
    days = (licence.end_date - timezone.localdate()).days
    assert f"charged for the {days} days left of the term" in quote
    priced = re.search(r'name="quoted" value="([^"]*)"', quote).group(1)
    done = client.post(increase, {**form, "action": "apply", "quoted": priced}, follow=True)
    assert "Next: on the Devices tab, expand the device" in done.content.decode()
    page = client.get(url).content.decode()
    assert "New License quantity available: 15" in page
    added = client.post(
        f"/devices/{device.public_id}/add-license/",
        {"licence": str(licence.public_id)},
        follow=True,
    ).content.decode()
    assert f'href="/devices/{device.public_id}/licences/{licence.public_id}/file/">Download it' in (
        added
    )
    assert f'id="device-{device.public_id}" open' in added  # back on the device, expanded


def test_add_license_chooses_nothing_and_offers_only_what_fits(owner_credits, skus, channel, login):
    first = make(owner_credits, skus, key="a1")
    second = make(owner_credits, skus, key="a2")
    one = device_register(actor=owner_credits, product=first.product, name="one", host_id="1")
    two = device_register(actor=owner_credits, product=first.product, name="two", host_id="2")
    licence_assign(
        actor=owner_credits, activation_id=first.activation_id, device_public_id=one.public_id
    )
    # The device opened ("Add a license to this device"), as its choice is drawn only then.
    owner = login(channel.users["owner"])
    page = owner.get("/devices/", {"device": str(two.public_id)}).content.decode()
    two = page.split("<strong>two</strong>")[1]
    assert '<option value="" selected>Choose a license</option>' in two
    # Data Center Expert: one licence per device, so the one on "one" is not offered for "two".
    assert str(second.public_id) in two and str(first.public_id) not in two.split("</select>")[0]
