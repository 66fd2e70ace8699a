import re

import pytest
from django.core import mail
from django.test import Client

from conftest import actor_of
from entitle.accounts import services
from entitle.accounts.models import ApiToken, User

URL = "/api/v1/invitations"


def post(client: Client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    ("email", "status", "code"),
    [
        ("", 422, "email_required"),
        ("nope", 422, "email_invalid"),
        ("sam@acme.example", 409, "already_invited"),
    ],
)
def test_bad_invitations_answer_code_and_message(
    acme_admin, acme_member, token_client, email, status, code
):
    response = post(token_client(acme_admin), URL, {"email": email})
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["message"]


def test_invite_list_revoke_through_the_api(
    acme_admin, token_client, django_capture_on_commit_callbacks
):
    client = token_client(acme_admin)
    with django_capture_on_commit_callbacks(execute=True):
        created = post(client, URL, {"email": "New@Example.com"})
    assert created.status_code == 201
    invitation = created.json()
    assert invitation["email"] == "new@example.com"
    assert invitation["status"] == "pending"
    assert len(mail.outbox) == 1
    assert [i["id"] for i in client.get(URL).json()["items"]] == [invitation["id"]]
    revoked = client.post(f"{URL}/{invitation['id']}/revoke")
    assert revoked.json()["status"] == "revoked"
    again = client.post(f"{URL}/{invitation['id']}/revoke")
    assert (again.status_code, again.json()["code"]) == (410, "invitation_revoked")


def test_accept_registers_without_authentication(acme_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(actor=actor_of(acme_admin), email="join@example.com")
    token = re.search(r"/join/([^/\s]+)/", mail.outbox[0].body).group(1)
    client = Client(enforce_csrf_checks=True)
    weak = post(client, f"{URL}/accept", {"token": token, "name": "J", "password": "1"})
    assert (weak.status_code, weak.json()["code"]) == (422, "password_invalid")
    done = post(
        client, f"{URL}/accept", {"token": token, "name": "J", "password": "zq-8-long-Secret"}
    )
    assert done.status_code == 201
    assert done.json() == {"email": "join@example.com", "name": "J", "company": "Acme Data Centres"}
    used = post(
        client, f"{URL}/accept", {"token": token, "name": "J", "password": "zq-8-long-Secret"}
    )
    assert (used.status_code, used.json()["code"]) == (410, "invitation_used")
    bad = post(client, f"{URL}/accept", {"token": token + "x", "name": "J", "password": "x"})
    assert (bad.status_code, bad.json()["code"]) == (404, "invitation_not_found")


def test_another_companys_invitation_is_not_found(
    acme_admin, globex_admin, token_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        theirs = services.invitation_create(actor=actor_of(globex_admin), email="g@example.com")
    client = token_client(acme_admin)
    missing = client.get(f"{URL}/00000000-0000-4000-8000-000000000000")
    hidden = client.get(f"{URL}/{theirs.public_id}")
    revoke = client.post(f"{URL}/{theirs.public_id}/revoke")
    assert missing.status_code == hidden.status_code == revoke.status_code == 404
    assert missing.json() == hidden.json() == revoke.json()
    assert client.get(URL).json()["items"] == []


def test_anonymous_and_bad_tokens_are_unauthenticated(db):
    for client in [Client(), Client(headers={"authorization": "Bearer ent_wrong"})]:
        response = client.get(URL)
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
        assert post(client, URL, {"email": "x@example.com"}).status_code == 401


def test_a_revoked_token_stops_working_at_once(acme_admin):
    token, secret = services.api_token_create(
        actor=actor_of(acme_admin), name="ci", scopes=["accounts:read"]
    )
    client = Client(headers={"authorization": f"Bearer {secret}"})
    assert client.get(URL).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    services.api_token_revoke(actor=actor_of(acme_admin), token_id=token.pk)
    assert client.get(URL).status_code == 401


def test_tokens_are_stored_hashed_and_shown_masked(acme_admin):
    token, secret = services.api_token_create(
        actor=actor_of(acme_admin), name="ci", scopes=["accounts:read"]
    )
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.key_hash, stored.prefix, str(stored))
    assert str(stored).endswith("…)")


def test_session_requests_need_the_csrf_token(acme_admin, login):
    client = login(acme_admin, enforce_csrf=True)
    refused = post(client, URL, {"email": "x@example.com"})
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
    client.get("/coworkers/")
    csrf = client.cookies["csrftoken"].value
    ok = client.post(
        URL,
        {"email": "x@example.com"},
        content_type="application/json",
        headers={"x-csrftoken": csrf},
    )
    assert ok.status_code == 201


def test_malformed_json_is_a_4xx_with_a_code(acme_admin, token_client):
    response = token_client(acme_admin).post(URL, "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "code" in response.json()


def test_coworkers_lists_only_the_own_company(acme_admin, acme_member, globex_admin, token_client):
    emails = {u["email"] for u in token_client(acme_admin).get("/api/v1/coworkers").json()["items"]}
    assert emails == {"olivia@acme.example", "sam@acme.example"}


def test_the_schema_documents_the_invitation_endpoints(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/v1/invitations", "/api/v1/invitations/accept"} <= set(paths)
    responses = paths["/api/v1/invitations"]["post"]["responses"]
    assert {"201", "409", "422", "429"} <= set(responses)
    assert Client().get("/api/v1/docs").status_code == 200


def test_member_cannot_create_tokens(acme_member):
    from entitle.core.errors import NotFound

    with pytest.raises(NotFound):
        services.api_token_create(
            actor=actor_of(acme_member), name="nope", scopes=["accounts:read"]
        )
    assert User.objects.count() == 1
