"""Online activation and validation: signed answers, bound to the request by a nonce."""

from __future__ import annotations

import dataclasses
import http.client
import json
import secrets
import urllib.error
import urllib.request
from datetime import date
from typing import Any

from entitle_client import jws
from entitle_client.ids import normalize_activation_id, normalize_host_id
from entitle_client.keys import KeySet, KeySetError
from entitle_client.licence import Status, verify_licence

VALIDATION_TYP = "entitle-validation+jwt"
MAX_RESPONSE_BYTES = 1024 * 1024


class OnlineError(Exception):
    """The server could not be reached or did not answer as the contract says."""


class UntrustedAnswer(OnlineError):
    """The answer is not signed by a known key, or was not made for this request."""


@dataclasses.dataclass(frozen=True, slots=True)
class ValidationAnswer:
    """The signed answer's claims; `licence` is the verified licence file the answer carried
    (an activation, a renewed lease, a newer file than the product's `serial`)."""

    valid: bool
    code: str
    status: str | None
    days_left: int | None
    end: date | None
    serial: int | None
    iat: int
    lease_until: date | None
    claims: dict[str, Any]
    licence: str | None = None


def activate(
    base_url: str,
    *,
    activation_id: str,
    host_id: str,
    keys: KeySet,
    device_name: str = "",
    installation_key: str | None = None,
    timeout: float = 10,
) -> ValidationAnswer:
    """Activate this device (within the licence's seats). A licence file in the answer must
    verify, be for this host and this activation; `LicenceStore.install` applies the remaining
    rules when it is installed. `installation_key` pins this installation to the binding."""
    extra: dict[str, Any] = {"device_name": device_name}
    if installation_key is not None:
        extra["installation_key"] = installation_key
    return _exchange(base_url, "activate", activation_id, host_id, keys, timeout, extra)


def validate(
    base_url: str,
    *,
    activation_id: str,
    host_id: str,
    keys: KeySet,
    serial: int | None = None,
    timeout: float = 10,
) -> ValidationAnswer:
    """May this activation run on this device? Renews the lease; the answer carries a fresh
    licence file when the lease was renewed or the server has a newer one than `serial`."""
    extra = {} if serial is None else {"serial": serial}
    return _exchange(base_url, "validate", activation_id, host_id, keys, timeout, extra)


def deactivate(
    base_url: str,
    *,
    activation_id: str,
    host_id: str,
    keys: KeySet,
    proof: str | None = None,
    timeout: float = 10,
) -> ValidationAnswer:
    """Free this device's seat (`DEACTIVATED`); `proof` is the installation's signed
    deactivation proof, required when the binding has an installation key."""
    extra = {} if proof is None else {"proof": proof}
    return _exchange(base_url, "deactivate", activation_id, host_id, keys, timeout, extra)


def fetch_keys(base_url: str, *, timeout: float = 10) -> KeySet:
    """The published JWKS. It is not signed: fetch it over HTTPS from the vendor's address."""
    status, body = _request(f"{base_url.rstrip('/')}/api/v1/keys", None, timeout)
    if status != 200:
        raise OnlineError(f"GET /api/v1/keys answered HTTP {status}")
    try:
        return KeySet.from_jwks(body)
    except KeySetError as exc:
        raise OnlineError(str(exc)) from None


def _exchange(
    base_url: str,
    action: str,
    activation_id: str,
    host_id: str,
    keys: KeySet,
    timeout: float,
    extra: dict[str, Any],
) -> ValidationAnswer:
    echoed = {
        "activation_id": normalize_activation_id(activation_id),
        "host_id": normalize_host_id(host_id),
        "nonce": secrets.token_urlsafe(16),
    }
    url = f"{base_url.rstrip('/')}/api/v1/product/{action}"
    status, body = _request(url, {**echoed, **extra}, timeout)
    token = body.get("token")
    if not isinstance(token, str):
        raise OnlineError(f"{action} answered HTTP {status} without a token")
    try:
        claims = jws.verify(token, keys, typ=VALIDATION_TYP).claims
    except jws.JWSError as exc:
        raise UntrustedAnswer(f"the answer does not verify: {exc}") from None
    for name, sent in echoed.items():
        if claims.get(name) != sent:
            raise UntrustedAnswer(f"the answer's {name} is not this request's")
    answer = _answer(claims)
    licence = body.get("licence")
    if licence is None:
        return answer
    if not isinstance(licence, str):
        raise UntrustedAnswer("the licence is not text")
    check = verify_licence(licence, keys=keys, host_id=echoed["host_id"])
    if check.status in (Status.INVALID_SIGNATURE, Status.WRONG_DEVICE) or check.claims is None:
        raise UntrustedAnswer(f"the licence does not verify: {check.message}")
    if check.claims["activation_id"] != echoed["activation_id"]:
        raise UntrustedAnswer("the licence is for another activation")
    return dataclasses.replace(answer, licence=licence)


def _answer(claims: dict[str, Any]) -> ValidationAnswer:
    if claims.get("iss") != "entitle":
        raise UntrustedAnswer("the answer's issuer is not entitle")
    return ValidationAnswer(
        valid=_claim(claims, "valid", bool, required=True),
        code=_claim(claims, "code", str, required=True),
        status=_claim(claims, "status", str),
        days_left=_claim(claims, "days_left", int),
        end=_date_claim(claims, "end"),
        serial=_claim(claims, "serial", int),
        iat=_claim(claims, "iat", int, required=True),
        lease_until=_date_claim(claims, "lease_until"),
        claims=claims,
    )


def _date_claim(claims: dict[str, Any], name: str) -> date | None:
    value = _claim(claims, name, str)
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        raise UntrustedAnswer(f"the answer's {name} is not a date") from None


def _claim(claims: dict[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    value = claims.get(name)
    if (value is not None or required) and type(value) is not kind:
        raise UntrustedAnswer(f"the answer's {name} is not {kind.__name__}")
    return value


def _request(
    url: str, payload: dict[str, Any] | None, timeout: float
) -> tuple[int, dict[str, Any]]:
    """POST `payload` (or GET) as JSON; the status and the JSON object answered."""
    if not url.startswith(("https://", "http://")):
        raise OnlineError(f"{url!r} is not an http(s) address")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="GET" if payload is None else "POST",
    )
    try:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, raw = response.status, response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:  # error answers may still carry a signed token
            with error:
                status, raw = error.code, error.read(MAX_RESPONSE_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise OnlineError(f"cannot reach {url}: {exc}") from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise OnlineError(f"{url} answered more than {MAX_RESPONSE_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise OnlineError(f"{url} answered HTTP {status} without JSON") from None
    if not isinstance(body, dict):
        raise OnlineError(f"{url} answered HTTP {status} with JSON that is not an object")
    return status, body
