"""The credit-spending API writes, served without the portal's middleware stack and ninja's
dispatch — for exactly the requests whose answer cannot differ from Django's.

An ERP feeding orders, a distributor's bulk run or a renewal season sends these by the
thousand (bench/consume.py). Django's handler, the portal's middleware (sessions, CSRF,
messages, the second factor, htmx) and ninja's parameter and response machinery cost about a
fifth of such a request. A route registered here (by its app's `AppConfig.ready()`) names the
function its ninja route calls, its input and output schemas and its scope (the one
`config/api.py` gives the ninja route: the tests compare the two). It answers a request only
when

- it carries a bearer token and no cookie, and that token is one `TokenAuth` admits with the
  route's scope;
- its body is JSON (by Content-Type, within the size limit) that the route's input schema
  accepts, its path parameters are valid, and it sends no header the route reads;

and then calls the same function, renders the same schema to the same JSON, and adds the
headers Django's security middleware adds. Anything else — a session, a bad or unscoped token,
a malformed body — goes to Django unchanged, which answers it as it always does (and counts a
wrong token as a failed sign-in). tests/test_token_routes.py sends the same requests both ways
and compares status, headers and body.
"""

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from ninja import Schema
from ninja.renderers import JSONRenderer
from pydantic import TypeAdapter, ValidationError

from entitle.accounts.auth import token_actor
from entitle.core import routing
from entitle.core.actor import Actor
from entitle.core.api_errors import (
    declared_length,
    error_for_status,
    error_response,
    is_json_content_type,
    max_body_bytes,
)
from entitle.core.errors import DomainError
from entitle.core.jsonbody import parse_json

logger = logging.getLogger("django.request")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


@dataclass(frozen=True)
class Route:
    """POST `pattern` (its named groups are the path parameters, each checked by `path`):
    `answer(actor, payload, **path)` returns what `output` shows, with `status`."""

    pattern: re.Pattern[str]
    scope: str
    payload: type[Schema]
    output: type[Schema]
    status: int
    answer: Callable[..., Any]
    path: dict[str, TypeAdapter] = field(default_factory=dict)
    # Headers the ninja route reads (as WSGI keys): a request that sends one goes to Django.
    unread_headers: tuple[str, ...] = ()


_routes: list[Route] = []
_renderer = JSONRenderer()
# Only their process_response: what they add to every answer.
_security = SecurityMiddleware(lambda request: None)
_frame_options = XFrameOptionsMiddleware(lambda request: None)


def register(route: Route) -> None:
    _routes.append(route)


def _bearer(environ: dict) -> str | None:
    scheme, _, secret = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    # ninja's HttpBearer reads the same header more leniently: anything unusual goes to it.
    if scheme != "Bearer" or not secret or " " in secret:
        return None
    return secret


def _body(environ: dict) -> bytes | None:
    if "HTTP_COOKIE" in environ or not is_json_content_type(environ.get("CONTENT_TYPE")):
        return None
    length = declared_length(environ)
    if not length or length > max_body_bytes():
        return None
    body = environ["wsgi.input"].read(length)
    # If Django answers after all, it reads the same body.
    environ["wsgi.input"] = BytesIO(body)
    return body


def _inputs(route: Route, match: re.Match, body: bytes) -> tuple[Schema, dict] | None:
    try:
        data = parse_json(body)
        if not isinstance(data, dict):
            return None
        payload = route.payload.model_validate(data)
        path = {name: adapter.validate_python(match[name]) for name, adapter in route.path.items()}
    except (DomainError, ValidationError):
        return None
    return payload, path


def _answer(route: Route, request: WSGIRequest, actor: Actor, payload, path) -> HttpResponse:
    try:
        result = route.answer(actor, payload, **path)
    except DomainError as error:
        return error_response(error)  # as the API's handler of domain errors answers
    data = route.output.model_validate(
        result, context={"request": request, "response_status": route.status}
    ).model_dump()
    return HttpResponse(
        _renderer.render(request, data, response_status=route.status),
        status=route.status,
        content_type=f"{_renderer.media_type}; charset={_renderer.charset}",
    )


def _serve(environ: dict, start_response: Callable, route: Route, match: re.Match):
    if any(header in environ for header in route.unread_headers):
        return None
    secret = _bearer(environ)
    body = _body(environ) if secret else None
    inputs = _inputs(route, match, body) if body is not None else None
    if inputs is None:
        return None
    # As Django's request_started would: a connection past its age or broken is replaced.
    close_old_connections()
    request = WSGIRequest(environ)
    try:
        actor = token_actor(request, secret, route.scope)
    except Exception:
        # A client refused for its failed sign-ins, or a failure (the cache or the database
        # out of reach): Django answers it, in the API's format.
        return None
    if actor is None:
        return None
    try:
        response = _answer(route, request, actor, *inputs)
    except Exception:
        # As Django logs it, and as ApiErrorMiddleware (outside every other middleware)
        # answers it.
        logger.exception("Internal Server Error: %s", request.path, extra={"request": request})
        routing.pin_after_write(request)
        return _start(start_response, error_response(error_for_status(500)))
    routing.pin_after_write(request)
    response = _frame_options.process_response(
        request, _security.process_response(request, response)
    )
    response["Content-Length"] = str(len(response.content))  # as CommonMiddleware
    return _start(start_response, response)


def _start(start_response: Callable, response: HttpResponse) -> list[bytes]:
    start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
    return [response.content]


def with_token_routes(django_app: WSGIApp) -> WSGIApp:
    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if _routes and environ.get("REQUEST_METHOD") == "POST":
            path = environ.get("PATH_INFO", "")
            for route in _routes:
                match = route.pattern.fullmatch(path)
                if match is not None:
                    answered = _serve(environ, start_response, route, match)
                    if answered is not None:
                        return answered
                    break
        return django_app(environ, start_response)

    return application
