"""The access matrix for orders, entitlements, vouchers and the owner's identity.

One table says who sees what; every probe is run for every role through the API and the
portal. Whoever may not see a thing gets exactly the answer a thing that does not exist gets.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from conftest import new_channel, new_partner_po, new_vendor_staff
from entitle.demo import load_catalog
from entitle.orders.models import Entitlement

ROLES = ["purchasing", "reseller", "owner", "installer", "unrelated", "vendor", "anonymous"]
EVERY_ROLE_ON_THE_PO = {"purchasing", "reseller", "owner", "installer", "vendor"}

# DOMAIN.md, "What may be shared, with whom", as a table: probe → the roles that see.
MATRIX: dict[str, set[str]] = {
    "api: order details (get)": {"purchasing", "vendor"},
    "api: order details (list)": {"purchasing", "vendor"},
    "api: look-up by PO number": {"purchasing"},
    "api: entitlement information": EVERY_ROLE_ON_THE_PO,
    "api: voucher codes": {"purchasing", "vendor"},
    "api: fulfil": {"vendor"},
    "page: order details": {"purchasing", "vendor"},
    "page: orders list": {"purchasing", "vendor"},
    "page: look-up by PO number": {"purchasing"},
    "page: entitlements": EVERY_ROLE_ON_THE_PO,
    "page: voucher codes": {"purchasing", "vendor"},
    "anywhere: owner identity": {"owner", "vendor"},
}


@dataclass
class World:
    po: object
    subscription_ids: list[str]
    voucher_codes: list[str]
    owner_marks: list[str]
    clients: dict[str, Client]
    channel: object


def api_get(client: Client, path: str):
    return client.get(f"/api/v1{path}")


def sees_po_get(w: World, role: str) -> bool:
    response = api_get(w.clients[role], f"/orders/{w.po.public_id}")
    if response.status_code == 200:
        return response.json()["po_number"] == "PO-1001"
    missing = api_get(w.clients[role], f"/orders/{uuid.uuid4()}")
    assert (response.status_code, response.content) == (missing.status_code, missing.content)
    return False


def sees_po_list(w: World, role: str) -> bool:
    response = api_get(w.clients[role], "/orders")
    return response.status_code == 200 and "PO-1001" in response.content.decode()


def sees_lookup(w: World, role: str) -> bool:
    response = api_get(w.clients[role], "/orders/lookup?po_number=PO-1001")
    if response.status_code == 200:
        return True
    missing = api_get(w.clients[role], "/orders/lookup?po_number=NO-SUCH-PO")
    assert (response.status_code, response.content) == (missing.status_code, missing.content)
    return False


def sees_entitlements(w: World, role: str) -> bool:
    response = api_get(w.clients[role], "/entitlements")
    if response.status_code != 200:
        return False
    rows = response.json()["items"]
    found = {row["subscription_id"] for row in rows} >= set(w.subscription_ids)
    if found:
        # Exactly entitlement information (with the SKU's product and the licence's status,
        # which follow from it), nothing more.
        assert {frozenset(row) for row in rows} == {
            frozenset(
                {
                    "subscription_id",
                    "product",
                    "sku",
                    "quantity",
                    "start_date",
                    "end_date",
                    "po_number",
                    "status",
                }
            )
        }
    return found


def sees_voucher_codes_api(w: World, role: str) -> bool:
    body = api_get(w.clients[role], "/vouchers").content.decode()
    return any(code in body for code in w.voucher_codes)


def can_fulfil(w: World, role: str) -> bool:
    client = w.clients[role]
    response = client.post(f"/api/v1/orders/{w.po.public_id}/fulfil")
    if response.status_code == 200:
        return True
    missing = client.post(f"/api/v1/orders/{uuid.uuid4()}/fulfil")
    assert (response.status_code, response.content) == (missing.status_code, missing.content)
    return False


def page(w: World, role: str, path: str):
    return w.clients[role].get(path)


def sees_po_page(w: World, role: str) -> bool:
    response = page(w, role, f"/orders/{w.po.public_id}/")
    if response.status_code == 200:
        return "PO PO-1001" in response.content.decode()
    missing = page(w, role, f"/orders/{uuid.uuid4()}/")
    assert response.status_code == missing.status_code
    return False


def sees_po_list_page(w: World, role: str) -> bool:
    response = page(w, role, "/orders/")
    return response.status_code == 200 and "PO-1001" in response.content.decode()


def sees_lookup_page(w: World, role: str) -> bool:
    response = page(w, role, "/orders/?po_number=PO-1001")
    if response.status_code == 302 and "/orders/" in response["Location"]:
        return "/login/" not in response["Location"]
    missing = page(w, role, "/orders/?po_number=NO-SUCH-PO")
    assert response.status_code == missing.status_code
    return False


def sees_entitlements_page(w: World, role: str) -> bool:
    body = page(w, role, "/entitlements/").content.decode()
    return all(sid in body for sid in w.subscription_ids)


def sees_voucher_codes_page(w: World, role: str) -> bool:
    body = page(w, role, "/vouchers/").content.decode()
    return any(code in body for code in w.voucher_codes)


OWNER_PROBE_PATHS = [
    "/api/v1/orders",
    "/api/v1/orders/lookup?po_number=PO-1001",
    "/api/v1/entitlements",
    "/api/v1/vouchers",
    "/api/v1/companies",
    "/orders/",
    "/entitlements/",
    "/vouchers/",
]


def sees_owner_identity(w: World, role: str) -> bool:
    client = w.clients[role]
    paths = [*OWNER_PROBE_PATHS, f"/api/v1/orders/{w.po.public_id}", f"/orders/{w.po.public_id}/"]
    for path in paths:
        response = client.get(path)
        body = response.content.decode()
        if response.status_code == 200 and any(mark in body for mark in w.owner_marks):
            return True
    return False


PROBES: dict[str, Callable[[World, str], bool]] = {
    "api: order details (get)": sees_po_get,
    "api: order details (list)": sees_po_list,
    "api: look-up by PO number": sees_lookup,
    "api: entitlement information": sees_entitlements,
    "api: voucher codes": sees_voucher_codes_api,
    "api: fulfil": can_fulfil,
    "page: order details": sees_po_page,
    "page: orders list": sees_po_list_page,
    "page: look-up by PO number": sees_lookup_page,
    "page: entitlements": sees_entitlements_page,
    "page: voucher codes": sees_voucher_codes_page,
    "anywhere: owner identity": sees_owner_identity,
}
assert set(PROBES) == set(MATRIX)


@pytest.fixture(scope="module")
def world(module_db) -> World:
    """Built once for the module; each test rolls back to it."""
    channel = new_channel(new_vendor_staff())
    partner_po = new_partner_po(channel, load_catalog())
    clients: dict[str, Client] = {"anonymous": Client()}
    for role, user in channel.users.items():
        # People use the portal with a session; partner systems use a token. Vendor staff
        # have no token rights, so they use their session for both.
        clients[role] = Client()
        clients[role].force_login(user)
    owner = channel.companies["owner"]
    vouchers = [line.voucher for line in partner_po.lines.all()]
    return World(
        po=partner_po,
        subscription_ids=list(Entitlement.objects.values_list("subscription_id", flat=True)),
        voucher_codes=[v.code for v in vouchers],
        # The owner's name, and its people's addresses, as they would appear if leaked.
        owner_marks=[owner.name, *owner.users.values_list("email", flat=True)],
        clients=clients,
        channel=channel,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("probe", list(MATRIX))
def test_access_matrix(world, probe, role):
    expected = role in MATRIX[probe]
    assert PROBES[probe](world, role) is expected, (
        f"{role} {'should' if expected else 'must not'} see: {probe}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["purchasing", "reseller", "owner", "installer", "unrelated"])
def test_api_tokens_see_what_sessions_see(world, token_client, role):
    by_token = token_client(world.channel.users[role])
    by_session = world.clients[role]
    for path in [
        "/orders",
        "/entitlements",
        "/vouchers",
        "/locker",
        f"/orders/{world.po.public_id}",
    ]:
        token_answer = api_get(by_token, path)
        session_answer = api_get(by_session, path)
        assert token_answer.status_code == session_answer.status_code, path
        assert token_answer.json() == session_answer.json(), path
