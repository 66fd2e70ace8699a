"""The WSGI fast path for product validation answers exactly as the documented route does."""

import io
import json

import jwt
import pytest
from django.test import Client

from config.wsgi import application
from entitle.licensing.services.licences import licence_create
from entitle.licensing.services.product import product_activate


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # As Django's test client does: the test's transaction must survive the request's end.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def through_wsgi(body: bytes) -> tuple[str, dict]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/product/validate",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.url_scheme": "http",
    }
    status = []
    chunks = application(environ, lambda s, headers: status.append(s))
    return status[0], json.loads(b"".join(chunks))


def claims(token: str) -> dict:
    keys = jwt.PyJWKSet.from_dict(Client().get("/api/v1/keys").json())
    claims = jwt.decode(token, keys.keys[0], algorithms=["EdDSA"], options={"verify_iat": False})
    claims.pop("iat")
    return claims


@pytest.fixture
def activated(owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=3, terms=1, idempotency_key="f"
    ).licence
    product_activate(activation_id=licence.activation_id, host_id="HOST-F")
    return licence


@pytest.mark.parametrize(
    "host",
    ["HOST-F", "ELSEWHERE"],
)
def test_same_signed_answer_as_the_ninja_route(activated, host):
    body = {"activation_id": activated.activation_id, "host_id": host, "nonce": "n"}
    status, fast = through_wsgi(json.dumps(body).encode())
    routed = Client().post("/api/v1/product/validate", body, content_type="application/json")
    assert status == "200 OK" and routed.status_code == 200
    assert claims(fast["token"]) == claims(routed.json()["token"])
    assert set(fast) == set(routed.json()) == {"token"}


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"activation_id": 5, "host_id": "h"}', b'{"host_id": "h"}'],
)
def test_bad_requests_are_422_with_a_code(db, body):
    status, answer = through_wsgi(body)
    assert status.startswith("422")
    assert answer["code"] == "invalid_request" and answer["message"]


def test_a_malformed_content_length_is_a_422(db):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/product/validate",
        "CONTENT_LENGTH": "lots",
        "wsgi.input": io.BytesIO(b"{}"),
    }
    status = []
    body = json.loads(b"".join(application(environ, lambda s, h: status.append(s))))
    assert status[0].startswith("422") and body["code"] == "invalid_request"


def test_other_requests_go_to_django(db):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/keys",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }
    status = []
    body = b"".join(application(environ, lambda s, h: status.append(s)))
    assert status == ["200 OK"] and "keys" in json.loads(body)
