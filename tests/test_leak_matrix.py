"""The leak matrix: every API GET endpoint (from the OpenAPI schema) and every portal page and
CSV export (from the URL conf) × every role of DOMAIN.md, and no value a role may not see
anywhere in the bytes of the answer.

The endpoints and pages are discovered, not listed: a new one is probed as soon as it exists,
and one whose path parameters the world below cannot fill fails `test_every_route_is_probed`
until a value is added to `path_values`. The world is built once for the module.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from conftest import new_channel, new_company, new_user, new_vendor_staff
from entitle.accounts.models import User
from entitle.accounts.services import (
    api_token_create,
    invitation_create,
    service_account_create,
)
from entitle.core.actor import Actor
from entitle.demo import load_catalog
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.renewals.services.partners import partner_listing_save, renewal_request_create
from entitle.sharing.services import delegation_grant
from entitle.webhooks.services import endpoint_create, endpoint_test

pytestmark = pytest.mark.django_db

ROLES = [
    "purchasing",
    "reseller",
    "owner",
    "installer",
    "view_delegate",
    "manage_delegate",
    "unrelated",
    "vendor",
]

# Each kind of private information: the roles that may see it, and its values in the world.
OWNER_IDENTITY = "the owner's identity and contacts"
INSTALLATION = "the installation (devices, host ids, locations)"
ORDER_DETAILS = "order details (MSA, prices, the PO email)"
INTEGRATIONS = "the company's integrations (webhook endpoints, service accounts)"
MAY_SEE = {
    INTEGRATIONS: {"owner", "vendor"},
    OWNER_IDENTITY: {"owner", "vendor"},
    INSTALLATION: {"owner", "manage_delegate", "vendor"},
    ORDER_DETAILS: {"purchasing", "vendor"},
}


@dataclass
class World:
    clients: dict[str, Client]
    values: dict[str, str]
    secrets: dict[str, list[str]]
    patterns: dict[str, list[re.Pattern]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(module_db) -> World:
    skus = load_catalog()
    channel = new_channel(new_vendor_staff())
    c, users = channel.companies, dict(channel.users)
    owner_user = new_user(
        c["owner"], role=User.Role.ADMIN, email="olivia.secret@acme.example", name="Olivia Zed"
    )
    po = po_record(
        actor=channel.staff,
        po_number="PO-LEAK-1",
        msa_reference="MSA-SECRET-77",
        po_email="po-contact@northwind.example",
        channel="partner",
        purchasing_entity=c["purchasing"],
        reseller=c["reseller"],
        owner=c["owner"],
        installer=c["installer"],
        lines=[LineInput(skus["DCE-1Y"], 25, "98765.43")],
    )
    po = po_fulfil(actor=channel.staff, public_id=po.public_id)
    owner = Actor.for_user(owner_user)
    voucher_redeem(actor=owner, code=po.lines.get().voucher.code, idempotency_key="leak-redeem")
    licence = licence_create(
        actor=owner, sku=skus["DCE-1Y"], quantity=5, terms=1, idempotency_key="leak"
    ).licence
    device = device_register(
        actor=owner,
        product=skus["DCE-1Y"].product,
        name="rack-secret-dce",
        host_id="HOST-SECRET-4242",
        location="Leeds, cage 7",
    )
    licence_assign(
        actor=owner, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    for role in ("view_delegate", "manage_delegate"):
        users[role] = new_user(
            new_company(role.replace("_", " ").title()),
            role=User.Role.ADMIN,
            email=f"{role}@example.com",
        )
        delegation = delegation_grant(
            actor=owner,
            email=f"{role}@example.com",
            role=role.split("_")[0],
            activation_id=licence.activation_id,
        )
    invitation = invitation_create(actor=owner, email="new.colleague@acme.example")
    account = service_account_create(actor=owner, name="Acme secret sync")
    token, _ = api_token_create(
        actor=owner, name="leak", service_account_id=account.pk, scopes=["licences:read"]
    )
    endpoint, _ = endpoint_create(
        actor=owner, url="https://93.184.215.14/hooks/acme-secret", event_types=["licence.created"]
    )
    delivery = endpoint_test(actor=owner, public_id=endpoint.public_id, queue=lambda *_: None)
    # The distributor is in the partner directory (marking a partner is a back-office edit).
    type(c["purchasing"]).objects.filter(pk=c["purchasing"].pk).update(is_partner=True)
    users["purchasing"].company.refresh_from_db()
    partner_listing_save(
        actor=Actor.for_user(users["purchasing"]), product_codes=["dce"], summary="Distributor"
    )
    request = renewal_request_create(
        actor=owner, activation_id=licence.activation_id, partner_id=c["purchasing"].pk
    )
    clients = {}
    for role in ROLES:
        clients[role] = Client()
        clients[role].force_login(users[role])
    return World(
        clients=clients,
        values={
            "activation_id": licence.activation_id,
            "licence": str(licence.public_id),
            "po": str(po.public_id),
            "device": str(device.public_id),
            "invitation": str(invitation.public_id),
            "delegation": str(delegation.public_id),
            "renewal_request": str(request.public_id),
            "token_id": str(token.pk),
            "account_id": str(account.pk),
            "company_id": str(c["owner"].pk),
            "webhook": str(endpoint.public_id),
            "delivery": str(delivery.public_id),
            "po_number": po.po_number,
            "voucher": str(po.lines.get().voucher.pk),
            "company": str(c["owner"].pk),
            "product_code": "dce",
            "sku_code": "DCE-1Y",
        },
        secrets={
            INTEGRATIONS: ["hooks/acme-secret", "Acme secret sync"],
            OWNER_IDENTITY: [
                "Acme Data Centres",
                "olivia.secret@acme.example",
                "Olivia Zed",
                "owner@example.com",
            ],
            INSTALLATION: ["rack-secret-dce", "HOST-SECRET-4242", "Leeds, cage 7"],
            ORDER_DETAILS: [
                "MSA-SECRET-77",
                "98765.43",
                "98,765.43",
                "po-contact@northwind.example",
            ],
        },
        # The owner's id: a JSON value in an answer, a page or a CSV, or an activity page's cell.
        patterns={
            OWNER_IDENTITY: [
                re.compile(rf"owner(_id)?(&quot;|&#x27;|\"|')+: ?{c['owner'].pk}\b"),
                re.compile(rf">owner(_id)?</span> {c['owner'].pk}<"),
            ]
        },
    )


# --- Discovering what to probe. ---


def api_paths() -> list[str]:
    openapi = api.get_openapi_schema()
    return [path for path, operations in openapi["paths"].items() if "get" in operations]


def portal_routes() -> list[str]:
    routes = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith(("admin/", "api/")):
                    walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and not route.startswith("static"):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    return routes


PARAMETER = re.compile(r"\{(?:\w+:)?(\w+)\}|<(?:\w+:)?(\w+)>")

# Which world value each path parameter takes, by the route it appears in.
PATH_VALUES = [
    (r"invitations/[{<]", "invitation_id", "invitation"),
    (r"invitations/[{<]", "public_id", "invitation"),
    (r"orders/[{<]", "po_id", "po"),
    (r"orders/[{<]", "public_id", "po"),
    (r"transfers/[{<]", "public_id", "delegation"),
    (r"sharing/[{<]", "public_id", "delegation"),
    (r"requests/[{<]", "public_id", "renewal_request"),
    (r"backoffice/vouchers/<", "voucher_id", "voucher"),
    (r"companies/<", "company_id", "company"),
    (r"products/<", "code", "product_code"),
    (r"skus/<", "code", "sku_code"),
    (r"", "activation_id", "activation_id"),
    (r"", "licence_id", "licence"),
    (r"", "device_id", "device"),
    (r"", "token_id", "token_id"),
    (r"", "account_id", "account_id"),
    (r"", "company_id", "company_id"),
    (r"webhooks/[{<]", "endpoint_id", "webhook"),
    (r"webhooks/[{<]", "public_id", "webhook"),
    (r"", "delivery_id", "delivery"),
    # Signed links: a wrong token is the page anyone can reach.
    (r"", "token", None),
    (r"", "uidb64", None),
]


def path_values(route: str, w: World) -> str | None:
    """The route with its parameters filled from the world, or None if one cannot be."""

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        for where, parameter, key in PATH_VALUES:
            if parameter == name and re.search(where, route):
                return "not-a-valid-token" if key is None else w.values[key]
        raise LookupError(name)

    try:
        return PARAMETER.sub(value, route)
    except LookupError:
        return None


def probes(w: World) -> list[str]:
    urls = [path_values(path, w) for path in api_paths()]
    urls.append(f"/api/v1/orders/lookup?po_number={w.values['po_number']}")
    urls += ["/" + path_values(route, w) for route in portal_routes()]
    return [url for url in urls if url is not None and url != "/None"]


@pytest.fixture(scope="module")
def answers(world) -> dict[str, dict[str, tuple[int, str]]]:
    """Every probe's answer for every role (and the CSV export of every page that offers
    one), fetched once for the module's tests."""
    result: dict[str, dict[str, tuple[int, str]]] = {}
    for role in ROLES:
        client = world.clients[role]
        result[role] = {}
        for url in probes(world):
            response = client.get(url)
            body = response.getvalue().decode(errors="replace")
            result[role][url] = (response.status_code, body)
            if 'href="?format=csv"' in body:
                export = client.get(url + "?format=csv")
                result[role][url + "?format=csv"] = (
                    export.status_code,
                    export.getvalue().decode(errors="replace"),
                )
    return result


def test_every_route_is_probed(world):
    missing = [p for p in api_paths() if path_values(p, world) is None]
    missing += [r for r in portal_routes() if path_values(r, world) is None]
    assert missing == [], "give these path parameters a value in PATH_VALUES"


def leaks(w: World, role: str, body: str) -> list[str]:
    found = []
    for kind, allowed in MAY_SEE.items():
        if role in allowed:
            continue
        found += [f"{kind}: {value!r}" for value in w.secrets[kind] if value in body]
        found += [f"{kind}: {p.pattern}" for p in w.patterns.get(kind, []) if p.search(body)]
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_role_sees_what_it_may_not(world, answers, role):
    problems = {
        url: found
        for url, (_, body) in answers[role].items()
        if (found := leaks(world, role, body))
    }
    assert problems == {}
    # The probes reach real pages, answers and exports, not only refusals.
    assert sum(200 <= status < 300 for status, _ in answers[role].values()) > 20
    assert any(url.endswith("?format=csv") for url in answers[role])


def test_the_world_shows_each_secret_to_those_who_may_see_it(world, answers):
    """Without this, a matrix that reached nothing would pass."""
    seen = {kind: set() for kind in MAY_SEE}
    for role in ROLES:
        for _, body in answers[role].values():
            for kind, values in world.secrets.items():
                if any(value in body for value in values):
                    seen[kind].add(role)
    assert seen == MAY_SEE
