"""The product's validation request, served without the portal's middleware stack.

Every running product calls POST /api/v1/product/validate, so it is the hottest path of the
system. It needs none of the portal's middleware (sessions, CSRF, messages, htmx, the actor):
it is authenticated by its Activation ID, and it answers with a signed token. This WSGI wrapper
hands exactly that request to `product_http.respond` — what the documented ninja route calls —
so both answer byte for byte alike; every other request goes to Django as usual.
"""

from collections.abc import Callable, Iterable
from http import HTTPStatus

from django.core import signals

from entitle.licensing import product_http

PATH = "/api/v1/product/validate"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def _body(environ: dict) -> bytes:
    length = environ.get("CONTENT_LENGTH") or "0"
    length = int(length) if length.isdigit() else 0
    # One byte more than allowed is enough to refuse an oversized body without reading it all.
    return environ["wsgi.input"].read(min(length, product_http.MAX_BODY + 1)) if length else b""


def _validate(environ: dict, start_response: Callable) -> list[bytes]:
    # The signals Django's own handler sends: database connections are recycled as usual.
    signals.request_started.send(sender=__name__, environ=environ)
    try:
        status, headers, body = product_http.respond(
            "validate",
            _body(environ),
            environ.get("CONTENT_TYPE", ""),
            environ.get("REMOTE_ADDR", ""),
        )
    finally:
        signals.request_finished.send(sender=__name__)
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
