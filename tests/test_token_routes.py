"""The credit-spending routes that `entitle.accounts.token_routes` serves answer as Django does.

Each request goes through the real WSGI entry (`config.wsgi.application`) and through Django's
own handler (`config.wsgi.django_application`, which `token_routes` never sees), from the same
database state, and both answers must be alike: status, headers and body. A request that
changed something is sent again with its idempotency key — its second answer must be its
first, whichever way it goes. The requests the fast routes answer themselves are checked to be
answered there (Django never sees them); the rest to reach Django.
"""

import json
import re

import pytest

from config.api import api
from config.wsgi import application, django_application
from conftest import post_wsgi
from entitle.accounts import signin, token_routes
from entitle.accounts.services import api_token_create
from entitle.core import ratelimit
from entitle.licensing.api import TOKEN_ROUTES as LICENSING_ROUTES
from entitle.licensing.services.licences import licence_create
from entitle.locker.api import TOKEN_ROUTES as LOCKER_ROUTES

ADDRESS = "192.0.2.9"


pytestmark = pytest.mark.usefixtures("keep_the_test_connection")


class Spy:
    """Django's handler, noting each request that reaches it."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, environ, start_response):
        self.seen.append(environ["PATH_INFO"])
        return django_application(environ, start_response)


def send(app, path: str, body, *, token: str | None, **extra) -> tuple[int, dict, object]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, headers, content = post_wsgi(
        app,
        path,
        raw,
        REMOTE_ADDR=ADDRESS,
        **({"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}),
        **extra,
    )
    # Django's answer varies by the session cookie (the portal's middleware reads the session);
    # a fast route reads no cookie — it leaves every request that has one to Django.
    headers = {name: value for name, value in headers if name != "Vary"}
    return status, headers, json.loads(content)


@pytest.fixture
def owner(owner_credits):
    """The owner (25 credits of DCE-1Y, 10 of PCNS-3Y), a token that may change licences,
    one that may only read them, and a licence to change."""
    _, writer = api_token_create(actor=owner_credits, name="writes", scopes=["licences:write"])
    _, reader = api_token_create(actor=owner_credits, name="reads", scopes=["licences:read"])
    _, redeemer = api_token_create(actor=owner_credits, name="redeems", scopes=["locker:write"])
    from entitle.catalog.models import Sku

    licence = licence_create(
        actor=owner_credits,
        sku=Sku.objects.get(code="DCE-1Y"),
        quantity=2,
        terms=1,
        idempotency_key="the-licence",
    ).licence
    return {
        "writer": writer,
        "reader": reader,
        "redeemer": redeemer,
        "licence": licence.activation_id,
    }


def both_ways(path: str, body, **kwargs) -> tuple[tuple, tuple, Spy]:
    """The answer of the WSGI entry, then Django's to the same request."""
    spy = Spy()
    fast = send(token_routes.with_token_routes(spy), path, body, **kwargs)
    slow = send(django_application, path, body, **kwargs)
    return fast, slow, spy


def test_a_creation_is_served_by_the_fast_route_and_replayed_alike_by_django(owner, monkeypatch):
    body = {"sku": "DCE-1Y", "quantity": 1, "terms": 1, "idempotency_key": "fast-1"}
    fast, slow, spy = both_ways("/api/v1/licences", body, token=owner["writer"])
    assert spy.seen == []  # answered without Django
    assert fast[0] == 201 and fast[2]["status"] == "completed"
    assert fast[2]["activation_id"]
    assert fast == slow  # the idempotent replay, through Django: the same answer
    # The real WSGI entry serves it through the fast route too.
    served = []
    answer = token_routes._answer
    monkeypatch.setattr(
        token_routes, "_answer", lambda *args: served.append(args[0]) or answer(*args)
    )
    assert send(application, "/api/v1/licences", body, token=owner["writer"]) == fast
    assert len(served) == 1
    # The documented headers of every answer are there.
    assert fast[1]["Content-Type"] == "application/json; charset=utf-8"
    assert fast[1]["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "body",
    [
        {"sku": "NOPE-1Y", "quantity": 1, "idempotency_key": "unknown-sku"},
        {"sku": "DCE-1Y", "quantity": 900, "idempotency_key": "too-many"},  # 409: 25 credits
        {
            "sku": "DCE-1Y",
            "quantity": 1,
            "terms": 1,
            "start_date": "2001-01-01",
            "idempotency_key": "past",
        },
    ],
    ids=["unknown SKU", "insufficient credits", "start in the past"],
)
def test_a_refused_creation_is_refused_alike(owner, body):
    fast, slow, spy = both_ways("/api/v1/licences", body, token=owner["writer"])
    assert spy.seen == []
    assert fast[0] >= 400 and set(fast[2]) >= {"code", "message"}
    assert fast == slow


def test_increase_and_renewal_are_served_and_replayed_alike(owner):
    licence = owner["licence"]
    increase = {"quantity": 3, "idempotency_key": "more"}
    fast, slow, spy = both_ways(
        f"/api/v1/licences/{licence}/increase", increase, token=owner["writer"]
    )
    assert spy.seen == [] and fast[0] == 200 and fast[2]["details"]["to"] == 3
    assert fast == slow
    renew = {"terms": 1, "idempotency_key": "longer"}
    fast, slow, spy = both_ways(f"/api/v1/licences/{licence}/renew", renew, token=owner["writer"])
    assert spy.seen == [] and fast[0] == 200 and fast[2]["kind"] == "renew"
    assert fast == slow


def test_a_licence_the_token_cannot_see_is_not_found_alike(owner):
    body = {"quantity": 3, "idempotency_key": "not-mine"}
    fast, slow, _ = both_ways(
        "/api/v1/licences/AAAAA-BBBBB-CCCCC-DDDDD/increase", body, token=owner["writer"]
    )
    assert fast[0] == 404 and fast == slow


@pytest.mark.parametrize(
    ("body", "token", "extra"),
    [
        (b'{"sku": "DCE-1Y", "quantity": 1,', "writer", {}),  # not JSON
        ({"sku": "DCE-1Y", "quantity": 0, "idempotency_key": "zero"}, "writer", {}),  # invalid
        ({"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "x", "extra": 1}, "writer", {}),
        ({"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "read-only"}, "reader", {}),
        ({"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "no-token"}, None, {}),
        (
            {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "text"},
            "writer",
            {"CONTENT_TYPE": "text/plain"},
        ),
        (
            {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "cookie"},
            "writer",
            {"HTTP_COOKIE": "sessionid=whatever"},
        ),
    ],
    ids=[
        "malformed JSON",
        "invalid quantity",
        "unknown field",
        "token without the scope",
        "no token",
        "not JSON",
        "with a cookie",
    ],
)
def test_what_the_fast_route_is_not_sure_of_goes_to_django(owner, body, token, extra):
    fast, slow, spy = both_ways("/api/v1/licences", body, token=owner.get(token), **extra)
    assert spy.seen == ["/api/v1/licences"]
    assert fast == slow


def test_a_wrong_token_counts_as_one_failed_sign_in(owner):
    body = {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "guess"}
    fast, slow, _ = both_ways("/api/v1/licences", body, token="ent_wrong")
    assert fast[0] == 401 and fast == slow
    # Once through the WSGI entry, once through Django: two failures, not three (counting
    # one more says how many there were).
    key = f"signin:client:{ADDRESS}"
    assert ratelimit.count(key, window_seconds=signin.WINDOW_SECONDS) == 3


def test_each_fast_route_is_its_documented_route():
    """Scope, input and output as config/api.py and the ninja route declare them."""
    schema = api.get_openapi_schema()
    for route in [*LICENSING_ROUTES, *LOCKER_ROUTES]:
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route.pattern.pattern)
        operation = schema["paths"][path]["post"]
        assert {"TokenAuth": [route.scope]} in operation["security"]
        body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body_ref.endswith(f"/{route.payload.__name__}")
        answered = operation["responses"][route.status]["content"]["application/json"]
        assert answered["schema"]["$ref"].endswith(f"/{route.output.__name__}")


def test_an_unexpected_failure_is_the_api_s_server_error_alike(owner, monkeypatch, caplog):
    from entitle.licensing.services import licences

    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(licences, "licence_create", broken)
    body = {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "broken"}
    fast, slow, spy = both_ways("/api/v1/licences", body, token=owner["writer"])
    assert spy.seen == []
    assert fast[0] == 500 and fast[2]["code"] == "server_error"
    assert fast == slow
    # Logged as Django logs it, with the failure: once each way.
    failures = [
        r.exc_info[1].args
        for r in caplog.records
        if r.name == "django.request" and r.exc_info is not None
    ]
    assert failures == [("the disk is full",), ("the disk is full",)]


def test_a_client_blocked_for_its_failed_sign_ins_is_refused_even_with_a_good_token(
    owner, settings
):
    for _ in range(settings.ENTITLE["LOGIN_FAILURES_PER_CLIENT"]):
        signin.failed(client=ADDRESS)
    body = {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "blocked"}
    fast, slow, spy = both_ways("/api/v1/licences", body, token=owner["writer"])
    assert fast[0] == 429 and fast[2]["code"] == "sign_in_limited"
    assert fast == slow
    assert spy.seen == ["/api/v1/licences"]  # Django says so


def test_a_write_served_by_a_fast_route_sends_the_token_s_next_reads_to_the_primary(
    owner, settings
):
    """With a read replica, as ReadYourWritesMiddleware does for every write."""
    from django.core.cache import cache

    from entitle.core import routing

    settings.ENTITLE = {**settings.ENTITLE, "READ_REPLICA": "replica"}
    body = {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "pinned"}
    pin = routing._pin_key(f"Bearer {owner['writer']}")
    assert cache.get(pin) is None
    spy = Spy()
    answer = send(
        token_routes.with_token_routes(spy), "/api/v1/licences", body, token=owner["writer"]
    )
    assert answer[0] == 201 and spy.seen == []
    assert cache.get(pin) is not None


@pytest.mark.parametrize(
    "sku", ["\u0086[\u000e\u009b\ud9b4\ude04", "DCE\x00-1Y"], ids=["lone surrogate", "NUL"]
)
def test_text_the_database_cannot_store_is_refused_alike_and_breaks_nothing(owner, sku):
    body = {"sku": sku, "quantity": 1, "terms": 3, "idempotency_key": "odd"}
    fast, slow, _ = both_ways("/api/v1/licences", body, token=owner["writer"])
    assert 400 <= fast[0] < 500 and fast == slow
    # The next request is answered as usual.
    good = {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "after"}
    assert send(application, "/api/v1/licences", good, token=owner["writer"])[0] == 201


@pytest.fixture
def codes(owner, channel, skus, django_capture_on_commit_callbacks):
    """The voucher codes of a second PO for the owner, not yet redeemed."""
    from conftest import new_partner_po

    with django_capture_on_commit_callbacks(execute=True):
        po = new_partner_po(channel, skus, po_number="PO-1002")
    return [line.voucher.code for line in po.lines.order_by("number")]


def test_a_redemption_is_served_and_replayed_alike_and_refusals_are_alike(owner, codes):
    token = owner["redeemer"]
    body = {"code": codes[0], "idempotency_key": "redeem-1"}
    fast, slow, spy = both_ways("/api/v1/vouchers/redeem", body, token=token)
    assert spy.seen == [] and fast[0] == 200 and fast[2]["status"] == "redeemed"
    assert fast == slow
    refusals = [
        {"code": codes[0], "idempotency_key": "redeem-again"},  # 409: already redeemed
        {"code": "22222-22222-22222-22222", "idempotency_key": "missing"},  # 404 (or a typo)
    ]
    for body in refusals:
        fast, slow, spy = both_ways("/api/v1/vouchers/redeem", body, token=token)
        assert spy.seen == [] and fast[0] >= 400 and fast == slow


def test_a_redemption_keyed_by_header_goes_to_django(owner, codes):
    fast, slow, spy = both_ways(
        "/api/v1/vouchers/redeem",
        {"code": codes[1]},
        token=owner["redeemer"],
        HTTP_IDEMPOTENCY_KEY="by-header",
    )
    assert spy.seen == ["/api/v1/vouchers/redeem"]
    assert fast[0] == 200 and fast == slow
