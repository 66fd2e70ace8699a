"""List pages do not grow their number of queries with the data they list."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import actor_of
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.sharing.services import delegation_grant

PAGES = [
    "/orders/",
    "/entitlements/",
    "/vouchers/",
    "/locker/",
    "/licences/",
    "/devices/",
    "/consumption/",
    "/sharing/",
    "/activity/",
    "/coworkers/",
]


def add_business(channel, skus, n: int) -> None:
    """One more fulfilled and redeemed PO, a licence from it on a device, and a delegation."""
    c = channel.companies
    po = po_record(
        actor=channel.staff,
        po_number=f"Q-{n}",
        po_email="q@example.com",
        channel="partner",
        purchasing_entity=c["purchasing"],
        reseller=c["reseller"],
        owner=c["owner"],
        installer=c["installer"],
        lines=[LineInput(skus["DCE-1Y"], 3), LineInput(skus["PCNS-1Y"], 2)],
    )
    po_fulfil(actor=channel.staff, public_id=po.public_id)
    owner = actor_of(channel.users["owner"])
    for line in po.lines.all():
        voucher_redeem(actor=owner, code=line.voucher.code, idempotency_key=f"q{n}-{line.pk}")
    licence = licence_create(
        actor=owner, sku=skus["DCE-1Y"], quantity=3, terms=1, idempotency_key=f"q{n}"
    ).licence
    device = device_register(
        actor=owner, product=skus["DCE-1Y"].product, name=f"d{n}", host_id=f"H{n}"
    )
    licence_assign(
        actor=owner, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    delegation_grant(
        actor=owner,
        email="installer@example.com",
        role="manage",
        activation_id=licence.activation_id,
    )


def counts(client) -> dict[str, int]:
    result = {}
    for page in PAGES:
        # Counted with a cold cache: the navigation keeps the company's roles there.
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200, page
        result[page] = len(queries)
    return result


@pytest.mark.parametrize("role", ["owner", "purchasing", "vendor"])
def test_list_pages_use_as_many_queries_for_one_thing_as_for_many(channel, skus, login, role):
    add_business(channel, skus, 1)
    client = login(channel.users[role])
    few = counts(client)
    for n in range(2, 5):
        add_business(channel, skus, n)
    assert counts(client) == few
