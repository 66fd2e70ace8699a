"""One validate: the WSGI fast path and the documented ninja route answer alike.

Every answer code and every malformed body goes through the real WSGI entry
(`config.wsgi.application`, called as a WSGI server calls it) and through the route (Django's
test client, which never passes through `config/wsgi.py`), from the same database state, and
both answers must have the same status, headers and body — signature and issue time aside.
"""

import io
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.utils import timezone

from config.wsgi import application
from conftest import post_wsgi
from entitle.core import codes
from entitle.licensing import fastpath
from entitle.licensing.services.devices import binding_deactivate, device_register, licence_assign
from entitle.licensing.services.licences import licence_create, licence_suspend
from entitle.licensing.services.product import ProductRequest, product_activate
from entitle.orders.models import Entitlement

ADDRESS = "192.0.2.7"


pytestmark = pytest.mark.usefixtures("keep_the_test_connection")


def through_wsgi(path: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
    # Django's test client connects these again after each of its requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    status, headers, content = post_wsgi(
        application, path, body, REMOTE_ADDR=ADDRESS, CONTENT_TYPE=content_type
    )
    return status, dict(headers), content


def through_route(path: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
    response = Client(REMOTE_ADDR=ADDRESS).generic("POST", path, body, content_type=content_type)
    return response.status_code, dict(response.headers), response.content


def _claims(token: str) -> tuple[dict, dict]:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.pop("iat")
    return jwt.get_unverified_header(token), claims


def comparable(answer: tuple[int, dict, bytes]) -> tuple:
    """What must be equal: status, the headers a client reads, the body with the token's and
    the licence file's claims decoded (their signatures and issue times aside)."""
    status, headers, raw = answer
    body = json.loads(raw)
    if "token" in body:
        body["token"] = _claims(body["token"])
        if body["licence"]:
            token = "".join(
                line for line in body["licence"].splitlines() if not line.startswith("-----")
            )
            body["licence"] = _claims(token)
    kept = {k: v for k, v in headers.items() if k in ("Content-Type", "Retry-After")}
    return status, kept, body


@dataclass
class Case:
    name: str
    body: dict | bytes
    status: int = 200
    code: str = ""
    path: str = "/api/v1/product/validate"
    content_type: str = "application/json"
    days_later: int = 0
    settings: dict = field(default_factory=dict)

    def raw(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


@pytest.fixture
def world(owner_credits, skus, channel):
    """Licences in every state, each bound to its host."""
    owner = owner_credits

    def create(sku: str, key: str, **more):
        return licence_create(
            actor=owner, sku=skus[sku], quantity=1, terms=1, idempotency_key=key, **more
        ).licence

    def activate(licence, host: str) -> None:
        product_activate(ProductRequest.of(activation_id=licence.activation_id, host_id=host))

    pcns = create("PCNS-3Y", "pcns")
    activate(pcns, "HOST-P")
    suspended = create("DCE-1Y", "suspended")
    activate(suspended, "HOST-S")
    licence_suspend(actor=channel.staff, activation_id=suspended.activation_id, reason="Unpaid")
    deactivated = create("DCE-1Y", "deactivated")
    activate(deactivated, "HOST-D")
    device = deactivated.bindings.get().device
    binding_deactivate(
        actor=owner, activation_id=deactivated.activation_id, device_public_id=device.public_id
    )
    future = create("DCE-1Y", "future", start_date=timezone.localdate() + timedelta(days=10))
    early = device_register(
        actor=owner, product=skus["DCE-1Y"].product, name="early", host_id="HOST-E"
    )
    licence_assign(
        actor=owner, activation_id=future.activation_id, device_public_id=early.public_id
    )
    full = create("DCE-1Y", "full")
    activate(full, "HOST-F1")
    return {
        "pcns": pcns.activation_id,
        "suspended": suspended.activation_id,
        "deactivated": deactivated.activation_id,
        "future": future.activation_id,
        "full": full.activation_id,
        "subscription": Entitlement.objects.first().subscription_id,
    }


def ask(key: str, host: str, **more) -> dict:
    return {"activation_id": key, "host_id": host, "nonce": "parity-nonce", **more}


def cases(keys: dict) -> list[Case]:
    pcns = keys["pcns"]
    return [
        Case("valid", ask(pcns, "HOST-P"), code="VALID"),
        Case("valid, typed in lower case", ask(pcns.lower(), " host-p "), code="VALID"),
        Case("outdated file gets the newest", ask(pcns, "HOST-P", serial=0), code="VALID"),
        Case("expiring, lease renewed", ask(pcns, "HOST-P"), code="EXPIRING", days_later=1070),
        Case("grace", ask(pcns, "HOST-P"), code="GRACE", days_later=1100),
        Case("expired", ask(pcns, "HOST-P"), code="EXPIRED", days_later=1160),
        Case("suspended", ask(keys["suspended"], "HOST-S"), code="SUSPENDED"),
        Case("not yet valid", ask(keys["future"], "HOST-E"), code="NOT_YET_VALID"),
        Case("host mismatch", ask(pcns, "HOST-OTHER"), code="HOST_MISMATCH"),
        Case("deactivated", ask(keys["deactivated"], "HOST-D"), code="DEACTIVATED"),
        Case("unknown key", ask("7KQ2M-XH4PA-9RTCW-EN3BZ", "HOST-P"), code="NOT_FOUND"),
        Case(
            "mistyped key",
            ask(pcns[:-1] + ("2" if pcns[-1] != "2" else "3"), "HOST-P"),
            code="NOT_FOUND",
        ),
        Case("a Subscription ID", ask(keys["subscription"], "HOST-P"), code="NOT_FOUND"),
        Case(
            "too many devices",
            ask(keys["full"], "HOST-F2"),
            code="TOO_MANY_DEVICES",
            path="/api/v1/product/activate",
        ),
        Case(
            "rate limited",
            ask(pcns, "HOST-P"),
            status=429,
            code="rate_limited",
            settings={"PRODUCT_RATE": 0},
        ),
        Case(
            "rate limited per address",
            ask(pcns, "HOST-P"),
            status=429,
            code="rate_limited",
            settings={"PRODUCT_RATE_ADDRESS": 0},
        ),
        Case("bad JSON", b'{"activation_id": ', status=422, code="invalid_request"),
        Case("empty body", b"", status=422, code="invalid_request"),
        Case("not an object", b"[]", status=422, code="invalid_request"),
        Case("wrong type", {"activation_id": 5, "host_id": "h"}, 422, "invalid_request"),
        Case("nonce not a string", ask(pcns, "HOST-P", nonce=7), 422, "invalid_request"),
        Case("serial as text", ask(pcns, "HOST-P", serial="5"), 422, "invalid_request"),
        Case("NUL character", ask(pcns, "HOST\x00P"), 422, "invalid_request"),
        Case("missing host id", {"activation_id": pcns}, 422, "invalid_request"),
        Case("blank host id", ask(pcns, "   "), 422, "invalid_request"),
        Case("host id too long", ask(pcns, "H" * 129), 422, "invalid_request"),
        Case("oversized", ask(pcns, "HOST-P", pad="x" * 9000), 413, "payload_too_large"),
        Case(
            "not JSON content",
            ask(pcns, "HOST-P"),
            415,
            "unsupported_media_type",
            content_type="text/plain",
        ),
    ]


def test_every_answer_is_the_same_through_the_fast_path_and_the_route(world, settings):
    base = settings.ENTITLE
    for case in cases(world):
        answers = []
        for through in (through_wsgi, through_route):
            settings.ENTITLE = {**base, **case.settings}
            cache.clear()
            moment = timezone.now() + timedelta(days=case.days_later)
            with time_machine.travel(moment, tick=False), transaction.atomic():
                answers.append(comparable(through(case.path, case.raw(), case.content_type)))
                transaction.set_rollback(True)
        fast, routed = answers
        assert fast == routed, case.name
        status, headers, body = fast
        assert status == case.status, case.name
        code = body["token"][1]["code"] if status == 200 else body["code"]
        assert code == case.code, case.name
        if status == 429:
            assert headers["Retry-After"] == "60"
        if case.name in ("outdated file gets the newest", "expiring, lease renewed"):
            assert body["licence"] is not None, case.name
    settings.ENTITLE = base


def test_a_malformed_content_length_is_an_empty_body(db):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/product/validate",
        "CONTENT_LENGTH": "lots",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(b"{}"),
    }
    status = []
    body = json.loads(b"".join(application(environ, lambda s, h: status.append(s))))
    assert status[0].startswith("422 ") and body["code"] == "invalid_request"


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


@pytest.mark.django_db(transaction=True)
def test_a_connection_past_its_age_is_replaced_before_the_query(monkeypatch):
    """The fast path skips Django's request signals but not their work: a server's database
    connection older than CONN_MAX_AGE (or left broken) is replaced before the next query."""
    monkeypatch.setattr(fastpath, "close_old_connections", close_old_connections)
    connection.ensure_connection()
    old = connection.connection
    connection.close_at = time.monotonic() - 1
    body = json.dumps({"activation_id": codes.generate(), "host_id": "HOST-1"}).encode()
    status, _, answer = through_wsgi("/api/v1/product/validate", body, "application/json")
    claims = jwt.decode(json.loads(answer)["token"], options={"verify_signature": False})
    assert status == 200 and claims["code"] == "NOT_FOUND"
    assert connection.connection is not None and connection.connection is not old
