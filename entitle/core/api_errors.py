"""The one JSON error format under /api/: `{"code", "message"}` with its status and headers.

Three things answer API requests, and all three render errors here:
- the NinjaAPI's exception handlers (`config/api.py`), for errors raised by routes;
- `ApiErrorMiddleware`, for what never reaches a route or is answered around it: unknown
  routes and malformed path ids (404), wrong methods (405), oversized bodies (413), and any
  other non-JSON failure Django produces;
- the WSGI fast path of product validation (`entitle/licensing/fastpath.py`), which has no
  Django request at all: `wsgi_error`.
"""

import json
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from entitle.core.errors import (
    BadRequest,
    DomainError,
    MethodNotAllowed,
    NotFound,
    PermissionDenied,
    RequestTooLarge,
    ServerError,
    UnsupportedMediaType,
)

API_PREFIX = "/api/"
JSON = "application/json"

_BY_STATUS: dict[int, type[DomainError]] = {
    400: BadRequest,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    413: RequestTooLarge,
    415: UnsupportedMediaType,
    500: ServerError,
}


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def is_json_content_type(content_type: str | None) -> bool:
    """application/json, or any application/…+json, whatever the parameters."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def declared_length(meta: dict) -> int | None:
    """The request's Content-Length, or None when it is absent or not a number."""
    raw = meta.get("CONTENT_LENGTH") or ""
    return int(raw) if raw.isascii() and raw.isdigit() else None


def too_large() -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {max_body_bytes()} bytes.")


def error_for_status(status: int) -> DomainError:
    """The error to show for a bare HTTP status that no domain error explains."""
    known = _BY_STATUS.get(status)
    if known is not None:
        return known()
    error = DomainError(HTTPStatus(status).phrase + ".")
    error.status = status
    error.code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    return error


def _encode(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def error_response(error: DomainError, payload: dict | None = None) -> HttpResponse:
    """A Django response for `error` (`payload` overrides the body, e.g. with field errors)."""
    response = HttpResponse(
        _encode(payload or error.as_dict()), status=error.status, content_type=JSON
    )
    for name, value in error.headers().items():
        response[name] = value
    return response


def wsgi_error(start_response: Callable, error: DomainError) -> list[bytes]:
    """The same answer as `error_response`, straight to a WSGI server."""
    body = _encode(error.as_dict())
    status = HTTPStatus(error.status)
    start_response(
        f"{status.value} {status.phrase}",
        [
            ("Content-Type", JSON),
            ("Content-Length", str(len(body))),
            *error.headers().items(),
        ],
    )
    return [body]


class ApiErrorMiddleware:
    """Under /api/: refuse oversized bodies before anything reads them, and turn any failure
    that is not already JSON (Django's 404 page, ninja's text 405, a 400 or 500 page) into
    the API's error format. Put it first: it sees every answer of the layers below it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        length = declared_length(request.META)
        if length is not None and length > max_body_bytes():
            return error_response(too_large())
        response = self.get_response(request)
        if response.status_code < 400 or is_json_content_type(response.get("Content-Type")):
            return response
        replacement = error_response(error_for_status(response.status_code))
        for header in ("Allow", "Retry-After"):
            if response.has_header(header):
                replacement[header] = response[header]
        return replacement
