"""Every failure under /api/ is JSON `{"code", "message"}`, whoever answers it."""

import json

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.test import Client

from entitle.core.api_errors import ApiErrorMiddleware


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing",
        "/api/v1/orders/not-a-uuid",
        "/api/v1/invitations/12345",
        "/api/v2/licences",
        "/api/v1/licences/",
    ],
)
def test_unknown_routes_and_malformed_ids_are_json_404s(db, token_client, acme_admin, path):
    assert_error(token_client(acme_admin).get(path), 404, "not_found")
    assert_error(Client().get(path), 404, "not_found")


def test_a_wrong_method_is_a_json_405_with_allow(db):
    response = Client().delete("/api/v1/keys")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_an_oversized_body_is_a_json_413_before_anything_reads_it(token_client, acme_admin):
    body = b'{"email": "' + b"a" * 10_000_000 + b'@example.com"}'
    response = token_client(acme_admin).post(
        "/api/v1/invitations", body, content_type="application/json"
    )
    assert_error(response, 413, "payload_too_large")


def test_a_json_body_needs_a_json_content_type(token_client, acme_admin):
    client = token_client(acme_admin)
    body = '{"email": "new@example.com"}'
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""]:
        response = client.post("/api/v1/invitations", body, content_type=content_type)
        assert_error(response, 415, "unsupported_media_type")
    ok = client.post("/api/v1/invitations", body, content_type="application/json; charset=utf-8")
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "body", ['{"email": ', "{'email': 'x'}", '{"email": NaN}', b"\xff\xfe"], ids=repr
)
def test_bad_json_is_a_422_with_its_own_code(token_client, acme_admin, body):
    response = token_client(acme_admin).post(
        "/api/v1/invitations", body, content_type="application/json"
    )
    assert_error(response, 422, "invalid_json")


def test_rate_limits_say_when_to_retry(token_client, acme_admin, settings):
    settings.ENTITLE = {**settings.ENTITLE, "REDEEM_RATE_USER": 1, "REDEEM_RATE_COMPANY": 1}
    client = token_client(acme_admin)
    answers = [
        client.post(
            "/api/v1/vouchers/redeem",
            {"code": "AAAA-BBBB-CCCC-DDDD", "idempotency_key": f"k{n}"},
            content_type="application/json",
        )
        for n in range(3)
    ]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert_error(limited[0], 429, "rate_limited")
    assert 1 <= int(limited[0]["Retry-After"]) <= 600


def test_any_other_failure_below_becomes_json():
    request = HttpRequest()
    request.path = "/api/v1/licences"
    middleware = ApiErrorMiddleware(lambda r: HttpResponseServerError("<h1>Server Error</h1>"))
    assert_error(middleware(request), 500, "server_error")
    request.path = "/licences/"
    assert middleware(request).content == b"<h1>Server Error</h1>"
    untouched = ApiErrorMiddleware(lambda r: HttpResponse("{}", content_type="application/json"))
    request.path = "/api/v1/licences"
    assert untouched(request).status_code == 200
