"""API token scopes: every route of the OpenAPI schema needs its scope, read-only tokens cannot
write, and a token never does what the account it acts as (or its creator) cannot."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from conftest import actor_of
from entitle.accounts import scopes, services
from entitle.accounts.errors import ScopeNotGrantable, SessionRequired
from entitle.accounts.models import User
from entitle.core.actor import Actor
from entitle.orders.models import PurchaseOrder

API = "/api/v1"
# Routes anyone may call: the product side (authenticated by its Activation ID), the public
# keys, and registering through an invitation. A new public route must be added here on purpose.
PUBLIC = {
    ("post", "/api/v1/invitations/accept"),
    ("get", "/api/v1/keys"),
    ("post", "/api/v1/product/activate"),
    ("post", "/api/v1/product/validate"),
    ("post", "/api/v1/product/deactivate"),
    ("post", "/api/v1/product/airgap/activate"),
    ("post", "/api/v1/product/airgap/deactivate"),
}
# For portal sessions only: tokens never manage tokens or service accounts.
SESSION_ONLY = {
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("post", "/api/v1/tokens/{token_id}/revoke"),
    ("get", "/api/v1/service-accounts"),
    ("post", "/api/v1/service-accounts"),
    ("post", "/api/v1/service-accounts/{account_id}/deactivate"),
    ("get", "/api/v1/companies/{company_id}/identity-provider"),
    ("put", "/api/v1/companies/{company_id}/identity-provider"),
}


def operations() -> list[tuple[str, str, list[str]]]:
    """Every (method, path, token scopes) of the published schema."""
    schema = Client().get(f"{API}/openapi.json").json()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            requirements = operation.get("security")
            token = next((r["TokenAuth"] for r in requirements or [] if "TokenAuth" in r), None)
            found.append((method, path, token))
    return found


def concrete(path: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in ("token_id", "account_id", "company_id"):
            return "1"
        if name.endswith("_id") and name != "activation_id":
            return str(uuid.uuid4())
        return "NOT-A-REAL-ONE"

    return re.sub(r"{([^}]+)}", value, path)


def call(client: Client, method: str, path: str):
    if method == "get":
        return client.get(concrete(path))
    return client.generic(method.upper(), concrete(path), "{}", content_type="application/json")


def code_of(response) -> str | None:
    if not response.get("content-type", "").startswith("application/json"):
        return None
    body = response.json()
    return body.get("code") if isinstance(body, dict) else None


def token(user: User, granted: list[str]) -> Client:
    _, secret = services.api_token_create(actor=actor_of(user), name="probe", scopes=granted)
    return Client(headers={"authorization": f"Bearer {secret}"})


def test_every_route_is_public_on_purpose_or_needs_a_scope_or_a_session(db):
    for method, path, needed in operations():
        where = f"{method.upper()} {path}"
        if needed is None:
            assert (method, path) in PUBLIC, f"{where} has no authentication"
        elif not needed:
            assert (method, path) in SESSION_ONLY, f"{where} declares no scope"
        else:
            [scope] = needed
            assert scope in scopes.ALL, where
            if scopes.is_back_office(scope):
                continue
            access = "read" if method == "get" else "write"
            assert scope.endswith(f":{access}"), f"{where} needs {scope}"


def test_every_route_refuses_a_token_without_its_scope_and_admits_one_with_it(vendor_staff):
    everything = set(scopes.everything_for(staff=True))
    checked = 0
    for method, path, needed in operations():
        if not needed:
            continue
        [scope] = needed
        refused = call(token(vendor_staff, sorted(everything - {scope})), method, path)
        assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope"), path
        assert scope in refused.json()["message"]
        admitted = call(token(vendor_staff, [scope]), method, path)
        assert admitted.status_code != 401, path
        assert code_of(admitted) not in ("insufficient_scope", "session_required"), path
        checked += 1
    assert checked > 50


def test_a_read_only_token_cannot_write_anywhere(acme_admin):
    reader = token(acme_admin, [s for s in scopes.ALL if s.endswith(":read")])
    writes = [(m, p) for m, p, needed in operations() if m != "get" and needed is not None]
    assert len(writes) > 25
    for method, path in writes:
        answer = call(reader, method, path)
        assert answer.status_code == 403, (method, path)
        assert answer.json()["code"] in ("insufficient_scope", "session_required"), path
    assert reader.get(f"{API}/coworkers").status_code == 200


def test_tokens_never_manage_tokens_or_service_accounts(acme_admin):
    client = token(acme_admin, scopes.everything_for(staff=False))
    for method, path in SESSION_ONLY:
        answer = call(client, method, path)
        assert (answer.status_code, answer.json()["code"]) == (403, "session_required")
    by_token = Actor.for_token(acme_admin.api_tokens.get())
    with pytest.raises(SessionRequired):
        services.api_token_create(actor=by_token, name="more", scopes=["orders:read"])
    with pytest.raises(SessionRequired):
        services.service_account_create(actor=by_token, name="svc")


def test_the_schema_describes_every_scope(db):
    schema = Client().get(f"{API}/openapi.json").json()
    description = schema["components"]["securitySchemes"]["TokenAuth"]["description"]
    for name in scopes.ALL:
        assert f"`{name}`" in description
    record = schema["paths"][f"{API}/orders"]["post"]["security"]
    assert {"TokenAuth": [scopes.PO_RECORD]} in record


PO = {
    "po_number": "ERP-4711",
    "po_email": "orders@northwind.example",
    "channel": "partner",
    "lines": [{"sku": "DCE-1Y", "quantity": 5}],
}


@pytest.fixture
def erp(vendor_staff, skus):
    """The vendor's ERP: a back-office service account with a token to record and fulfil."""
    staff = actor_of(vendor_staff)
    account = services.service_account_create(actor=staff, name="ERP", back_office=True)
    _, secret = services.api_token_create(
        actor=staff,
        name="ERP orders",
        service_account_id=account.pk,
        scopes=["accounts:read", "orders:read", scopes.PO_RECORD, scopes.PO_FULFIL],
    )
    return Client(headers={"authorization": f"Bearer {secret}"}), account


def test_a_staff_token_records_and_fulfils_a_po_and_nothing_more(
    erp, channel, django_capture_on_commit_callbacks
):
    client, account = erp
    companies = {c["name"]: c["id"] for c in client.get(f"{API}/companies").json()["items"]}
    body = {
        **PO,
        "purchasing_entity": companies["Northwind Distribution"],
        "owner": companies["Acme Data Centres"],
    }
    recorded = client.post(f"{API}/orders", body, content_type="application/json")
    assert recorded.status_code == 201, recorded.json()
    po_id = recorded.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        fulfilled = client.post(f"{API}/orders/{po_id}/fulfil")
    assert fulfilled.status_code == 200
    assert fulfilled.json()["status"] == "fulfilled"
    [voucher_mail] = mail.outbox
    assert voucher_mail.to == ["orders@northwind.example"]
    po = PurchaseOrder.objects.get(public_id=po_id)
    assert po.purchasing_entity.name == "Northwind Distribution"
    # What its scopes do not cover, it cannot do, though its account could.
    for method, path in [
        ("post", "/api/v1/licences/ANY/suspend"),
        ("post", "/api/v1/vouchers/ANY/void"),
        ("post", "/api/v1/catalog/skus"),
        ("get", "/api/v1/licences"),
    ]:
        answer = call(client, method, path)
        assert (answer.status_code, answer.json()["code"]) == (403, "insufficient_scope")
    # Once the account loses its back-office rights, so does the token.
    User.objects.filter(pk=account.pk).update(is_staff=False)
    again = client.post(
        f"{API}/orders", {**body, "po_number": "ERP-4712"}, content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (403, "vendor_staff_only")


def test_a_token_never_exceeds_its_creator_or_account(acme_admin, acme_member, vendor_staff):
    admin = actor_of(acme_admin)
    with pytest.raises(ScopeNotGrantable):
        services.api_token_create(actor=admin, name="x", scopes=[scopes.PO_RECORD])
    with pytest.raises(ScopeNotGrantable):
        services.service_account_create(actor=admin, name="x", back_office=True)
    # Staff cannot give back-office scopes to a token acting as an account without the rights.
    staff = actor_of(vendor_staff)
    plain = services.service_account_create(actor=staff, name="Reports")
    with pytest.raises(ScopeNotGrantable):
        services.api_token_create(
            actor=staff, name="x", service_account_id=plain.pk, scopes=[scopes.PO_RECORD]
        )
    # A token acting as a member cannot do what only administrators may.
    member_service = services.service_account_create(actor=admin, name="Monitor")
    _, secret = services.api_token_create(
        actor=admin,
        name="monitor",
        service_account_id=member_service.pk,
        scopes=["accounts:read", "activity:read"],
    )
    monitor = Client(headers={"authorization": f"Bearer {secret}"})
    assert monitor.get(f"{API}/coworkers").status_code == 200
    assert monitor.get(f"{API}/activity").json()["items"] == []


def test_service_accounts_never_sign_in_and_their_tokens_stop_with_them(acme_admin):
    admin = actor_of(acme_admin)
    account = services.service_account_create(actor=admin, name="Partner sync")
    assert not account.has_usable_password()
    assert account.email.endswith("@service-accounts.invalid")
    _, secret = services.api_token_create(
        actor=admin, name="sync", service_account_id=account.pk, scopes=["accounts:read"]
    )
    client = Client(headers={"authorization": f"Bearer {secret}"})
    assert client.get(f"{API}/coworkers").status_code == 200
    emails = {c["email"] for c in client.get(f"{API}/coworkers").json()["items"]}
    assert account.email not in emails
    services.service_account_deactivate(actor=admin, account_id=account.pk)
    assert client.get(f"{API}/coworkers").status_code == 401


def test_a_token_stops_at_its_expiry_and_records_its_last_use(acme_admin):
    until = timezone.now() + timedelta(days=2)
    token_row, secret = services.api_token_create(
        actor=actor_of(acme_admin), name="short", scopes=["accounts:read"], expires_at=until
    )
    client = Client(headers={"authorization": f"Bearer {secret}"})
    assert client.get(f"{API}/coworkers").status_code == 200
    token_row.refresh_from_db()
    assert token_row.last_used_at is not None
    with time_machine.travel(until + timedelta(seconds=1)):
        assert client.get(f"{API}/coworkers").status_code == 401
        token_row.refresh_from_db()
        assert token_row.status == "expired"


def test_tokens_through_the_api_from_a_session(acme_admin, login):
    client = login(acme_admin)
    made = client.post(
        f"{API}/tokens",
        {"name": "ci", "scopes": ["licences:read", "licences:write"]},
        content_type="application/json",
    )
    assert made.status_code == 201
    secret = made.json()["secret"]
    [listed] = client.get(f"{API}/tokens").json()["items"]
    assert "secret" not in listed and secret not in str(listed)
    assert listed["scopes"] == ["licences:read", "licences:write"]
    refused = client.post(
        f"{API}/tokens", {"name": "x", "scopes": ["nope:read"]}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "scopes_invalid")
    staff_only = client.post(
        f"{API}/tokens",
        {"name": "x", "scopes": [scopes.PO_FULFIL]},
        content_type="application/json",
    )
    assert (staff_only.status_code, staff_only.json()["code"]) == (403, "scope_not_grantable")
    revoked = client.post(f"{API}/tokens/{listed['id']}/revoke")
    assert revoked.json()["status"] == "revoked"


def test_the_portal_page_makes_scoped_tokens_and_service_accounts(vendor_staff, login):
    client = login(vendor_staff)
    page = client.get("/settings/api-tokens/").content.decode()
    assert "Record purchase orders" in page  # the back office's scopes, for staff only
    client.post(
        "/settings/service-accounts/", {"name": "ERP", "role": "member", "back_office": "on"}
    )
    account = User.objects.get(name="ERP")
    assert account.is_service_account and account.is_staff
    created = client.post(
        "/settings/api-tokens/",
        {
            "name": "ERP",
            "acts_as": str(account.pk),
            "area_orders": "read",
            "back_office": [scopes.PO_RECORD, scopes.PO_FULFIL],
        },
    ).content.decode()
    assert re.search(r'id="new-token">(ent_[^<]+)<', created)
    made = account.api_tokens.get()
    assert made.scopes == ["orders:read", scopes.PO_RECORD, scopes.PO_FULFIL]
    empty = client.post("/settings/api-tokens/", {"name": "nothing"})
    assert empty.status_code == 422
    assert "at least one scope" in empty.content.decode()
