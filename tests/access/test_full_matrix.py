"""The access review: every resource × every role × every action, from one table.

A PO with all four roles, an owner's licence on a device, a `view` and a `manage` delegate,
an unrelated company, an anonymous caller and vendor staff. Each probe asks, through the API
or the portal as that role, whether the action is possible; whoever may not gets the answer a
thing that does not exist gets (checked where the probe can compare).
"""

import uuid
from dataclasses import dataclass

import pytest
from django.test import Client

from conftest import (
    new_channel,
    new_company,
    new_partner_po,
    new_user,
    new_vendor_staff,
    redeem_partner_po,
)
from entitle.accounts.models import User
from entitle.accounts.scopes import everything_for
from entitle.accounts.services import api_token_create
from entitle.demo import load_catalog
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create
from entitle.orders.models import Entitlement
from entitle.sharing.services import delegation_grant

ROLES = [
    "purchasing",
    "reseller",
    "owner",
    "installer",
    "view_delegate",
    "manage_delegate",
    "unrelated",
    "anonymous",
    "vendor",
]
ON_THE_PO = {"purchasing", "reseller", "owner", "installer"}
DELEGATES = {"view_delegate", "manage_delegate"}

MATRIX: dict[str, set[str]] = {
    "licence: list": {"owner", "view_delegate", "manage_delegate", "vendor"},
    "licence: get": {"owner", "view_delegate", "manage_delegate", "vendor"},
    "licence: get by Activation ID": {"owner", "manage_delegate", "vendor"},
    "licence: change (renew quote)": {"owner", "manage_delegate"},
    "licence: change (share)": {"owner"},
    "licence: change (transfer)": {"owner"},
    "licence: activity": {"owner", "manage_delegate", "vendor"},
    "device: list": {"owner", "manage_delegate", "vendor"},
    "device: activity": {"owner", "manage_delegate", "vendor"},
    "device: change (Add License)": {"owner", "manage_delegate"},
    "licence file: download": {"owner", "manage_delegate"},
    "consumption record: list": {"owner"},
    "delegation: list": {"owner", "view_delegate"},
    "delegation: change (revoke)": {"owner"},
    "audit event: company activity": {"owner", "vendor"},
    "api token: list": {"owner"},
    "entitlement: list": ON_THE_PO | DELEGATES | {"vendor"},
    "order details: get": {"purchasing", "vendor"},
    "owner identity: anywhere": {"owner", "vendor"},
    "installation location: anywhere": {"owner", "manage_delegate", "vendor"},
    "activation id: anywhere": {"owner", "manage_delegate", "vendor"},
}


@dataclass
class World:
    clients: dict[str, Client]
    aid: str
    lid: str
    device: str
    view_delegation: str
    consumption: str
    po: str
    subscription: str
    token_prefix: str


@pytest.fixture(scope="module")
def world(module_db) -> World:
    """Built once for the module's 171 probes; each test rolls back to it."""
    skus = load_catalog()
    channel = new_channel(new_vendor_staff())
    partner_po = new_partner_po(channel, skus)
    owner = redeem_partner_po(partner_po, channel)
    users = dict(channel.users)
    for role in DELEGATES:
        users[role] = new_user(
            new_company(role.title()), role=User.Role.ADMIN, email=f"{role}@example.com"
        )
    record = licence_create(
        actor=owner, sku=skus["DCE-1Y"], quantity=5, terms=1, idempotency_key="m"
    )
    aid = record.licence.activation_id
    device = device_register(
        actor=owner,
        product=skus["DCE-1Y"].product,
        name="dce-1",
        host_id="HOST-MATRIX",
        location="Cellar 7",
    )
    licence_assign(actor=owner, activation_id=aid, device_public_id=device.public_id)
    view = delegation_grant(
        actor=owner, email="view_delegate@example.com", role="view", activation_id=aid
    )
    delegation_grant(
        actor=owner, email="manage_delegate@example.com", role="manage", activation_id=aid
    )
    token, _ = api_token_create(
        actor=owner, name="owner's integration", scopes=everything_for(staff=False)
    )
    clients = {"anonymous": Client()}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return World(
        clients=clients,
        aid=aid,
        lid=str(record.licence.public_id),
        device=str(device.public_id),
        view_delegation=str(view.public_id),
        consumption=str(record.public_id),
        po=str(partner_po.public_id),
        subscription=Entitlement.objects.filter(licence=record.licence).first().subscription_id,
        token_prefix=token.prefix,
    )


def api(w: World, role: str, method: str, path: str, body: dict | None = None):
    client = w.clients[role]
    if method == "GET":
        return client.get(f"/api/v1{path}")
    return client.post(f"/api/v1{path}", body or {}, content_type="application/json")


def same_as_missing(w, role, method, path, missing_path, body=None) -> bool:
    """True if allowed; if refused, the answer must equal the answer for a missing thing."""
    answer = api(w, role, method, path, body)
    if 200 <= answer.status_code < 300:
        return True
    missing = api(w, role, method, missing_path, body)
    assert answer.status_code == missing.status_code, (path, answer.content, missing.content)
    return False


MISSING_AID = "ABCDE-FGHJK-LMNPQ-RSTUV"


def contains(response, text: str) -> bool:
    return response.status_code == 200 and text in response.content.decode()


PROBES = {
    "licence: list": lambda w, r: contains(api(w, r, "GET", "/licences"), w.lid),
    "licence: get": lambda w, r: same_as_missing(
        w, r, "GET", f"/licences/{w.lid}", f"/licences/{uuid.uuid4()}"
    ),
    "licence: get by Activation ID": lambda w, r: same_as_missing(
        w, r, "GET", f"/licences/{w.aid}", f"/licences/{MISSING_AID}"
    ),
    "licence: change (renew quote)": lambda w, r: same_as_missing(
        w,
        r,
        "POST",
        f"/licences/{w.aid}/renew/quote",
        f"/licences/{MISSING_AID}/renew/quote",
        {"terms": 1},
    ),
    "licence: change (share)": lambda w, r: same_as_missing(
        w,
        r,
        "POST",
        f"/licences/{w.aid}/share",
        f"/licences/{MISSING_AID}/share",
        {"email": "someone@example.org", "role": "view"},
    ),
    "licence: change (transfer)": lambda w, r: same_as_missing(
        w,
        r,
        "POST",
        f"/licences/{w.aid}/transfer",
        f"/licences/{MISSING_AID}/transfer",
        {"to_email": "unrelated@example.com"}
        if r != "unrelated"
        else {"to_email": "reseller@example.com"},
    ),
    "licence: activity": lambda w, r: same_as_missing(
        w, r, "GET", f"/licences/{w.aid}/activity", f"/licences/{MISSING_AID}/activity"
    ),
    "device: list": lambda w, r: contains(api(w, r, "GET", "/devices"), "HOST-MATRIX"),
    "device: activity": lambda w, r: contains(
        w.clients[r].get(f"/devices/{w.device}/activity/"), "device.registered"
    ),
    "device: change (Add License)": lambda w, r: same_as_missing(
        w,
        r,
        "POST",
        f"/devices/{w.device}/licences",
        f"/devices/{uuid.uuid4()}/licences",
        {"activation_id": w.aid},
    ),
    "licence file: download": lambda w, r: same_as_missing(
        w,
        r,
        "GET",
        f"/devices/{w.device}/licences/{w.aid}/file",
        f"/devices/{uuid.uuid4()}/licences/{w.aid}/file",
    ),
    "consumption record: list": lambda w, r: contains(
        api(w, r, "GET", "/consumption"), w.consumption
    ),
    "delegation: list": lambda w, r: contains(api(w, r, "GET", "/delegations"), w.view_delegation),
    "delegation: change (revoke)": lambda w, r: same_as_missing(
        w,
        r,
        "POST",
        f"/delegations/{w.view_delegation}/revoke",
        f"/delegations/{uuid.uuid4()}/revoke",
    ),
    "audit event: company activity": lambda w, r: contains(
        api(w, r, "GET", "/activity"), "licence.created"
    ),
    "api token: list": lambda w, r: contains(
        w.clients[r].get("/settings/api-tokens/"), w.token_prefix
    ),
    "entitlement: list": lambda w, r: contains(api(w, r, "GET", "/entitlements"), w.subscription),
    "order details: get": lambda w, r: same_as_missing(
        w, r, "GET", f"/orders/{w.po}", f"/orders/{uuid.uuid4()}"
    ),
}

ANYWHERE = [
    "/api/v1/licences",
    "/api/v1/devices",
    "/api/v1/entitlements",
    "/api/v1/orders",
    "/api/v1/delegations",
    "/api/v1/activity",
    "/api/v1/transfers",
    "/api/v1/companies",
    "/licences/",
    "/devices/",
    "/entitlements/",
    "/sharing/",
    "/orders/",
    "/activity/",
]


def leaks(w: World, role: str, marks: list[str], extra: list[str]) -> bool:
    for path in [*ANYWHERE, *extra]:
        response = w.clients[role].get(path)
        if response.status_code == 200 and any(m in response.content.decode() for m in marks):
            return True
    return False


def owner_paths(w: World) -> list[str]:
    return [
        f"/api/v1/licences/{w.lid}",
        f"/licences/{w.lid}/",
        f"/api/v1/licences/{w.lid}/activity",
        f"/licences/{w.lid}/activity/",
        f"/licences/{w.lid}/renewal/",
        "/renewals/",
        "/consumption/",
        f"/devices/{w.device}/activity/",
        f"/orders/{w.po}/",
        f"/orders/{w.po}/activity/",
    ]


PROBES["owner identity: anywhere"] = lambda w, r: leaks(
    w, r, ["Acme Data Centres", "owner@example.com", "Olivia"], owner_paths(w)
)
PROBES["installation location: anywhere"] = lambda w, r: leaks(
    w, r, ["HOST-MATRIX", "Cellar 7"], owner_paths(w)
)
PROBES["activation id: anywhere"] = lambda w, r: leaks(w, r, [w.aid], owner_paths(w))
assert set(PROBES) == set(MATRIX)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("probe", list(MATRIX))
def test_access(world, probe, role):
    expected = role in MATRIX[probe]
    assert PROBES[probe](world, role) is expected, (
        f"{role} {'should' if expected else 'must not'}: {probe}"
    )
