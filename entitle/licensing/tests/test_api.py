import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from django.test import Client


def post(client: Client, path: str, body: dict, **headers):
    return client.post(f"/api/v1{path}", body, content_type="application/json", headers=headers)


def decode(token: str) -> dict:
    keys = jwt.PyJWKSet.from_dict(Client().get("/api/v1/keys").json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    return jwt.decode(token, key, algorithms=["EdDSA"], options={"verify_iat": False})


@pytest.fixture
def owner_api(owner_credits, channel, token_client):
    return token_client(channel.users["owner"])


def test_the_whole_lifecycle_through_the_api(owner_api):
    created = post(
        owner_api,
        "/licences",
        {"sku": "DCE-1Y", "quantity": 10, "terms": 1, "idempotency_key": "c"},
    )
    assert created.status_code == 201, created.content
    aid = created.json()["activation_id"]
    licence = owner_api.get(f"/api/v1/licences/{aid}").json()
    assert (licence["status"], licence["quantity"], licence["colour"]) == ("active", 10, "green")

    device = post(
        owner_api,
        "/devices",
        {"name": "DCE 1", "host_id": "HOST-1", "product": "dce", "location": "Leeds"},
    )
    assert device.status_code == 201
    device_id = device.json()["id"]
    file = post(owner_api, f"/devices/{device_id}/licences", {"activation_id": aid})
    assert file.json()["serial"] == 1

    quote = post(owner_api, f"/licences/{aid}/increase/quote", {"quantity": 12}).json()
    assert (quote["credits"], quote["affordable"]) == ("2.00", True)
    increased = post(
        owner_api, f"/licences/{aid}/increase", {"quantity": 12, "idempotency_key": "i"}
    )
    assert increased.json()["status"] == "completed"
    shown = owner_api.get("/api/v1/devices").json()["items"][0]["licences"][0]
    assert shown == {
        "activation_id": aid,
        "applied_quantity": 10,
        "licence_quantity": 12,
        "new_quantity_available": True,
    }
    post(owner_api, f"/devices/{device_id}/licences", {"activation_id": aid})

    renew_quote = post(owner_api, f"/licences/{aid}/renew/quote", {"terms": 1}).json()
    renewed = post(owner_api, f"/licences/{aid}/renew", {"terms": 1, "idempotency_key": "r"})
    assert renewed.json()["details"]["new_end"] == renew_quote["end_date"]

    download = owner_api.get(f"/api/v1/devices/{device_id}/licences/{aid}/file")
    assert download["Content-Type"].startswith("text/plain")
    assert f"{aid}-3.lic" in download["Content-Disposition"]
    token = "".join(
        line for line in download.content.decode().splitlines() if not line.startswith("-----")
    )
    claims = decode(token)
    assert (claims["serial"], claims["quantity"], claims["end"]) == (3, 12, renew_quote["end_date"])

    history = owner_api.get("/api/v1/consumption").json()["items"]
    assert [(h["kind"], h["status"]) for h in history] == [
        ("renew", "completed"),
        ("increase", "completed"),
        ("create", "completed"),
    ]


def test_consuming_errors_have_codes(owner_api):
    too_many = post(
        owner_api,
        "/licences",
        {"sku": "DCE-1Y", "quantity": 26, "terms": 1, "idempotency_key": "a"},
    )
    assert (too_many.status_code, too_many.json()["code"]) == (409, "insufficient_credits")
    missing_key = post(owner_api, "/licences", {"sku": "DCE-1Y", "quantity": 1, "terms": 1})
    assert missing_key.status_code == 422
    no_such = post(
        owner_api, "/licences/ABCDE-FGHJK-LMNPQ-RSTUV/renew", {"terms": 1, "idempotency_key": "b"}
    )
    assert (no_such.status_code, no_such.json()["code"]) == (404, "licence_not_found")


def activate(body: dict):
    return post(Client(), "/product/activate", body)


def test_product_activates_and_validates_with_signed_answers(owner_api):
    aid = post(
        owner_api,
        "/licences",
        {"sku": "PCNS-3Y", "quantity": 5, "terms": 1, "idempotency_key": "c"},
    ).json()["activation_id"]
    answer = activate(
        {"activation_id": aid.lower(), "host_id": "NODE-7", "nonce": "n1", "device_name": "pcns-01"}
    )
    assert answer.status_code == 200
    claims = decode(answer.json()["token"])
    assert (claims["code"], claims["valid"], claims["nonce"], claims["host_id"]) == (
        "VALID",
        True,
        "n1",
        "NODE-7",
    )
    assert "BEGIN ENTITLE LICENCE" in answer.json()["licence"]
    devices = owner_api.get("/api/v1/devices").json()["items"]
    assert [(d["name"], d["host_id"]) for d in devices] == [("pcns-01", "NODE-7")]

    def validate(host: str, activation_id: str = aid) -> dict:
        response = post(
            Client(),
            "/product/validate",
            {"activation_id": activation_id, "host_id": host, "nonce": "v"},
        )
        assert response.status_code == 200
        return decode(response.json()["token"])

    assert validate("NODE-7")["code"] == "VALID"
    assert validate("OTHER")["code"] == "HOST_MISMATCH"
    assert validate("NODE-7", "ABCDE-FGHJK-LMNPQ-RSTUV")["code"] == "NOT_FOUND"
    # PowerChute (one licence, one device): a second host is refused.
    second = decode(activate({"activation_id": aid, "host_id": "NODE-8"}).json()["token"])
    assert (second["code"], second["valid"]) == ("TOO_MANY_DEVICES", False)
    end = datetime.fromisoformat(claims["end"]).replace(tzinfo=UTC)
    with time_machine.travel(end + timedelta(hours=12), tick=False):
        at_end = validate("NODE-7")
        assert (at_end["code"], at_end["valid"], at_end["days_left"]) == ("GRACE", True, 60)
    with time_machine.travel(end + timedelta(days=60, hours=12), tick=False):
        assert validate("NODE-7")["code"] == "EXPIRED"


def test_the_signed_bytes_are_the_bytes_sent(owner_api):
    """Nothing unsigned travels beside the answer, and the signature covers the exact bytes
    received (checked with raw Ed25519, no JOSE library in between)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    aid = post(
        owner_api, "/licences", {"sku": "DCE-1Y", "quantity": 1, "terms": 1, "idempotency_key": "c"}
    ).json()["activation_id"]
    body = json.loads(
        post(Client(), "/product/validate", {"activation_id": aid, "host_id": "h"}).content
    )
    assert set(body) == {"token", "licence"} and body["licence"] is None
    signing_input, _, signature = body["token"].rpartition(".")

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    [jwk] = Client().get("/api/v1/keys").json()["keys"]
    Ed25519PublicKey.from_public_bytes(unb64(jwk["x"])).verify(
        unb64(signature), signing_input.encode()
    )
    assert json.loads(unb64(signing_input.split(".")[1]))["activation_id"] == aid


def test_product_requests_are_rate_limited_per_activation_id(owner_api, settings):
    settings.ENTITLE = {**settings.ENTITLE, "PRODUCT_RATE": 3}
    aid = post(
        owner_api, "/licences", {"sku": "DCE-1Y", "quantity": 1, "terms": 1, "idempotency_key": "c"}
    ).json()["activation_id"]
    codes = [
        post(Client(), "/product/validate", {"activation_id": aid, "host_id": "h"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    bad = post(Client(), "/product/validate", {"activation_id": aid, "host_id": ""})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_request")


def test_suspended_licences_answer_suspended(owner_api, channel, login):
    aid = post(
        owner_api, "/licences", {"sku": "DCE-1Y", "quantity": 1, "terms": 1, "idempotency_key": "c"}
    ).json()["activation_id"]
    activate({"activation_id": aid, "host_id": "H"})
    staff = login(channel.users["vendor"])
    assert (
        post(staff, f"/licences/{aid.lower()}/suspend", {"reason": "Fraud check"}).json()["status"]
        == "suspended"
    )
    answer = decode(
        post(Client(), "/product/validate", {"activation_id": aid, "host_id": "H"}).json()["token"]
    )
    assert (answer["code"], answer["valid"]) == ("SUSPENDED", False)
    refused = post(owner_api, f"/licences/{aid}/suspend", {"reason": "x"})
    assert refused.status_code == 403
