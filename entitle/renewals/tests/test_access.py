"""Renewals × roles × actions, from one table, through the API."""

from datetime import timedelta

import pytest
from django.test import Client

from entitle.accounts.models import User
from entitle.renewals.services.partners import renewal_request_create
from entitle.renewals.services.shop import shop_order_place
from entitle.renewals.tests.conftest import on
from entitle.sharing.services import delegation_grant

ROLES = [
    "purchasing",
    "reseller",
    "owner",
    "installer",
    "view_delegate",
    "manage_delegate",
    "unrelated",
    "vendor",
    "anonymous",
]

# probe → the roles for which it succeeds.
MATRIX = {
    "renewal options": {"owner", "manage_delegate"},
    "request renewal": {"owner", "manage_delegate"},
    "order online": {"owner", "manage_delegate"},
    "partner directory": set(ROLES) - {"anonymous"},
    "requests received": {"reseller"},
    "requests sent": {"owner"},
    "answer a request": {"reseller"},
    "sold expiries": {"purchasing", "reseller"},
}


@pytest.fixture
def world(
    licence,
    listed,
    channel,
    owner_credits,
    make_company,
    make_user,
    login,
    settings,
    django_capture_on_commit_callbacks,
):
    # The probes run a year on, when the licence is due: the sessions must still be alive.
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600
    users = dict(channel.users)
    for role in ["view_delegate", "manage_delegate"]:
        users[role] = make_user(
            make_company(role.title()), role=User.Role.ADMIN, email=f"{role}@example.com"
        )
    with django_capture_on_commit_callbacks(execute=True):
        for role in ["view", "manage"]:
            delegation_grant(
                actor=owner_credits,
                email=f"{role}_delegate@example.com",
                role=role,
                activation_id=licence.activation_id,
            )
    asked = renewal_request_create(
        actor=owner_credits, activation_id=licence.activation_id, partner_id=listed["reseller"].pk
    )
    shop_order_place(actor=owner_credits, activation_id=licence.activation_id, idempotency_key="w")
    clients = {"anonymous": Client(), **{role: login(user) for role, user in users.items()}}
    return {"clients": clients, "aid": licence.activation_id, "request": asked, "listed": listed}


def probe(world, role: str, name: str) -> bool:
    client = world["clients"][role]
    aid = world["aid"]

    def get(path):
        return client.get(f"/api/v1{path}")

    def post(path, body):
        return client.post(f"/api/v1{path}", body, content_type="application/json")

    if name == "renewal options":
        return get(f"/licences/{aid}/renewal").status_code == 200
    if name == "request renewal":
        partner = world["listed"]["installer"].pk
        return post(f"/licences/{aid}/renewal/requests", {"partner": partner}).status_code == 201
    if name == "order online":
        key = f"probe-{role}"
        return (
            post(f"/licences/{aid}/renewal/shop-order", {"idempotency_key": key}).status_code == 201
        )
    if name == "partner directory":
        answer = get("/partners")
        return answer.status_code == 200 and len(answer.json()["items"]) == 3
    if name == "requests received":
        answer = get("/renewal-requests/received")
        return answer.status_code == 200 and len(answer.json()["items"]) == 1
    if name == "requests sent":
        answer = get("/renewal-requests/sent")
        return answer.status_code == 200 and len(answer.json()["items"]) >= 1
    if name == "answer a request":
        path = f"/renewal-requests/{world['request'].public_id}/answer"
        return post(path, {"answer": "a quote"}).status_code == 200
    if name == "sold expiries":
        answer = get("/partner/expiries")
        return answer.status_code == 200 and len(answer.json()["items"]) == 1
    raise AssertionError(name)


@pytest.mark.parametrize("name", list(MATRIX))
def test_renewals_access_matrix(world, name, licence):
    with on(licence.end_date - timedelta(days=30)):
        allowed = {role for role in ROLES if probe(world, role, name)}
    assert allowed == MATRIX[name]
