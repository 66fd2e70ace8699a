"""The product's validation request, served without the portal's middleware stack.

Every running product calls POST /api/v1/product/validate, so it is the hottest path of the
system. It needs none of the portal's middleware (sessions, CSRF, messages, htmx, the actor):
it is authenticated by its Activation ID, and it answers with a signed token. This WSGI wrapper
hands exactly that request to `product_http.respond` — what the documented ninja route calls —
so both answer byte for byte alike; every other request goes to Django as usual.
"""

from collections.abc import Callable, Iterable
from http import HTTPStatus

from django.db import close_old_connections

from entitle.licensing import product_http

PATH = "/api/v1/product/validate"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def _body(environ: dict) -> bytes:
    length = environ.get("CONTENT_LENGTH") or "0"
    length = int(length) if length.isdigit() else 0
    # One byte more than allowed is enough to refuse an oversized body without reading it all.
    return environ["wsgi.input"].read(min(length, product_http.MAX_BODY + 1)) if length else b""


def _validate(environ: dict, start_response: Callable) -> list[bytes]:
    # Django's handler sends request_started and request_finished; their receivers recycle
    # database connections (CONN_MAX_AGE, a connection left broken) at both ends, reset the
    # DEBUG query log, close caches and reset the URLconf. This request needs only the
    # recycling, and once, before its query, is enough. Called directly: dispatching the two
    # signals cost a fifth of the request. (Tests that keep a transaction open across the call
    # replace it, as Django's test client disconnects that receiver.)
    close_old_connections()
    status, headers, body = product_http.respond(
        "validate",
        _body(environ),
        environ.get("CONTENT_TYPE", ""),
        environ.get("REMOTE_ADDR", ""),
    )
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [*headers, ("Content-Length", str(len(body)))],
    )
    return [body]


def with_fast_validation(django_app: WSGIApp) -> WSGIApp:
    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "POST":
            return _validate(environ, start_response)
        return django_app(environ, start_response)

    return application
