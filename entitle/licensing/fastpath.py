"""The product's validation request, served without the portal's middleware stack.

Every running product calls POST /api/v1/product/validate, so it is the hottest path of the
system. It needs none of the portal's middleware (sessions, CSRF, messages, htmx, the
actor): it is authenticated by its Activation ID, and it answers with a signed token. This
WSGI wrapper sends exactly that request to `product_validate` — the same service the
documented ninja route calls — with the same JSON answers and error format; every other
request goes to Django as usual.
"""

import json
from collections.abc import Callable, Iterable

from django.core import signals

from entitle.core.errors import DomainError
from entitle.licensing.services.product import ProductRequestInvalid, product_validate

PATH = "/api/v1/product/validate"
MAX_BODY = 4096

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def _respond(start_response: Callable, status: int, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 422: "Unprocessable Entity", 429: "Too Many Requests"}.get(status, "")
    start_response(
        f"{status} {reason}".strip(),
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _validate(environ: dict, start_response: Callable) -> list[bytes]:
    # The signals Django's own handler sends: database connections are recycled as usual.
    signals.request_started.send(sender=__name__, environ=environ)
    try:
        length = environ.get("CONTENT_LENGTH") or "0"
        length = int(length) if length.isdigit() else 0
        if not 0 < length <= MAX_BODY:
            raise ProductRequestInvalid("Send a JSON body with activation_id and host_id.")
        try:
            data = json.loads(environ["wsgi.input"].read(length))
        except ValueError as exc:
            raise ProductRequestInvalid("The body is not valid JSON.") from exc
        if not isinstance(data, dict) or not all(
            isinstance(data.get(field), str) for field in ("activation_id", "host_id")
        ):
            raise ProductRequestInvalid("activation_id and host_id are required strings.")
        nonce = data.get("nonce")
        answer = product_validate(
            activation_id=data["activation_id"],
            host_id=data["host_id"],
            nonce=nonce if isinstance(nonce, str) else None,
        )
        return _respond(start_response, 200, {"token": answer.token})
    except DomainError as error:
        return _respond(start_response, error.status, error.as_dict())
    finally:
        signals.request_finished.send(sender=__name__)


def with_fast_validation(django_app: WSGIApp) -> WSGIApp:
    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "POST":
            return _validate(environ, start_response)
        return django_app(environ, start_response)

    return application
