"""The navigation shows each company what it does, grouped: no empty tabs."""

import re

import pytest


def nav(client) -> list[str]:
    page = client.get("/").content.decode()
    block = re.search(r'<nav class="sidenav".*?</nav>', page, re.S).group(0)
    return re.findall(r"<li><a [^>]*>([^<]+)</a></li>", block)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "owner",
            ["Licenses", "Devices", "Digital Vouchers", "Digital Locker", "Consumption History"],
            ["Find", "Catalog"],
        ),
        (
            "reseller",
            ["Renewals", "Entitlements", "Partner directory"],
            ["Digital Locker", "Devices", "Consumption History", "Licenses", "Orders"],
        ),
        (
            "purchasing",
            ["Orders", "Digital Vouchers", "Renewals"],
            ["Digital Locker", "Devices", "Consumption History"],
        ),
        (
            "vendor",
            ["Find", "Purchase orders", "Vouchers", "Catalog", "Signing keys", "Activity"],
            ["Digital Locker", "Consumption History", "Renewals", "Entitlements"],
        ),
    ],
)
def test_each_role_sees_its_own_navigation(channel, login, partner_po, role, shown, hidden):
    items = nav(login(channel.users[role]))
    for item in shown:
        assert item in items, item
    for item in hidden:
        assert item not in items, item


def test_the_current_page_is_marked(channel, login, owner_credits):
    page = login(channel.users["owner"]).get("/locker/").content.decode()
    assert re.search(r'<a href="/locker/" aria-current="page">Digital Locker</a>', page)


def test_an_installer_given_a_licence_to_manage_sees_devices(channel, login, partner_po):
    items = nav(login(channel.users["installer"]))
    assert "Devices" in items and "Digital Locker" not in items
