"""Offline check of a licence file: may the product run today on this device?"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from entitle_client import jws
from entitle_client.ids import normalize_host_id

LICENCE_TYP = "entitle-licence+jwt"
CLOCK_SKEW_SECONDS = 5 * 60

_CLAIM_TYPES: dict[str, type] = {
    "iss": str,
    "activation_id": str,
    "host_id": str,
    "product": str,
    "product_name": str,
    "sku": str,
    "quantity": int,
    "start": str,
    "end": str,
    "grace_days": int,
    "warn_days": int,
    "serial": int,
    "iat": int,
}
# Claims that may be absent; when present they have this type (`lease_until` may also be null).
_OPTIONAL_CLAIM_TYPES: dict[str, type] = {
    "lease_until": str,
    "request_nonce": str,
    "installation_key": str,
}


class Status(StrEnum):
    """The outcome of checking a licence file, as the licence-files contract names it."""

    VALID = "valid"
    EXPIRING = "expiring"
    GRACE = "grace"
    LEASE_GRACE = "lease_grace"
    EXPIRED = "expired"
    LEASE_EXPIRED = "lease_expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID_SIGNATURE = "invalid_signature"
    WRONG_DEVICE = "wrong_device"
    CLOCK_TAMPERED = "clock_tampered"


RUNNABLE = frozenset({Status.VALID, Status.EXPIRING, Status.GRACE, Status.LEASE_GRACE})


@dataclass(frozen=True, slots=True)
class LicenceCheck:
    """What the product shows and does.

    `days_left` is `end − today` while valid or expiring, `end + grace_days − today` in grace,
    what is left of the lease's grace in lease grace, 0 once expired and None otherwise.
    `claims` are the signed claims, None when the signature did not verify.
    """

    status: Status
    days_left: int | None
    may_run: bool
    claims: dict[str, Any] | None
    message: str


def verify_licence(
    text: str | bytes,
    *,
    keys: Mapping[str, Ed25519PublicKey],
    host_id: str,
    today: date | None = None,
    now: datetime | None = None,
    trusted_time: int | None = None,
) -> LicenceCheck:
    """Check an armoured (or bare) licence file; never raises on a bad file.

    Checks, in order: signature and well-formed claims, host id (normalised), the clock (the
    file's `iat`, or `trusted_time` — the latest signed time seen — more than five minutes after
    `now` means the clock was rolled back), start, end and grace, lease. `now` defaults to the
    current time; `today` to the device's local date at `now`.
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")  # anything else fails as not ASCII
        claims = jws.verify(jws.unarmour(text), keys, typ=LICENCE_TYP).claims
        start, end, lease_until = _checked_dates(claims)
    except ValueError as exc:
        return _check(Status.INVALID_SIGNATURE, None, None, f"Licence file is not valid: {exc}.")
    if normalize_host_id(claims["host_id"]) != normalize_host_id(host_id):
        return _check(
            Status.WRONG_DEVICE,
            None,
            claims,
            f"Licence is for another device (host id {claims['host_id']}, "
            f"this device is {host_id}).",
        )
    timestamp = time.time() if now is None else now.timestamp()
    latest = max(claims["iat"], trusted_time or 0)
    if latest > timestamp + CLOCK_SKEW_SECONDS:
        minutes = (latest - int(timestamp)) // 60
        return _check(
            Status.CLOCK_TAMPERED,
            None,
            claims,
            f"This device's clock is {minutes} minutes behind the licence server's: "
            "check its date and time.",
        )
    if today is None:
        today = date.fromtimestamp(timestamp)
    return _dated(claims, today, start, end, lease_until)


def _dated(
    claims: dict[str, Any], today: date, start: date, end: date, lease_until: date | None
) -> LicenceCheck:
    grace = timedelta(days=claims["grace_days"])
    if today < start:
        return _check(
            Status.NOT_YET_VALID,
            None,
            claims,
            f"Licence not yet valid: it starts on {start}. The protected function is disabled.",
        )
    if today >= end + grace:
        ended = f" (grace ended {end + grace})" if grace else ""
        return _check(
            Status.EXPIRED,
            0,
            claims,
            f"Licence expired on {end}{ended}. Renew the licence: the protected function is "
            "disabled.",
        )
    if lease_until is not None and today >= lease_until + grace:
        return _check(
            Status.LEASE_EXPIRED,
            0,
            claims,
            f"Licence lease ended on {lease_until}: connect to the licence server to renew it. "
            "The protected function is disabled.",
        )
    if lease_until is not None and today >= lease_until:
        left = (min(end, lease_until) + grace - today).days
        return _check(
            Status.LEASE_GRACE,
            left,
            claims,
            f"Licence lease ended on {lease_until}: {_days(left)} left to connect to the "
            "licence server.",
        )
    days_left = (end - today).days
    if days_left > claims["warn_days"]:
        return _check(
            Status.VALID,
            days_left,
            claims,
            f"Licence valid: {_days(days_left)} left (expires on {end}).",
        )
    if days_left > 0:
        return _check(
            Status.EXPIRING,
            days_left,
            claims,
            f"Licence expiring: {_days(days_left)} left (expires on {end}). Renew the licence.",
        )
    left = (end + grace - today).days
    return _check(
        Status.GRACE,
        left,
        claims,
        f"Licence expired on {end}: grace period, {_days(left)} left "
        f"(grace ends on {end + grace}). Renew the licence now.",
    )


def _checked_dates(claims: dict[str, Any]) -> tuple[date, date, date | None]:
    """Raise `ValueError` unless every claim is well formed; the start, end and lease end."""
    for name, kind in _CLAIM_TYPES.items():
        if type(claims.get(name)) is not kind:
            raise ValueError(f"claim {name!r} is missing or not {kind.__name__}")
    for name, kind in _OPTIONAL_CLAIM_TYPES.items():
        value = claims.get(name)
        if value is not None and type(value) is not kind:
            raise ValueError(f"claim {name!r} is not {kind.__name__}")
    if claims["iss"] != "entitle":
        raise ValueError("issuer is not entitle")
    if claims["grace_days"] < 0 or claims["warn_days"] < 0:
        raise ValueError("grace_days and warn_days cannot be negative")
    start, end = _iso_date(claims["start"]), _iso_date(claims["end"])
    if start > end:
        raise ValueError("start is after end")
    lease = claims.get("lease_until")
    lease_until = None if lease is None else _iso_date(lease)
    try:
        for day in (end, lease_until or end):
            _ = day + timedelta(days=claims["grace_days"])
    except OverflowError:
        raise ValueError("grace_days is out of range") from None
    return start, end, lease_until


def _iso_date(value: str) -> date:
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise ValueError(f"{value!r} is not YYYY-MM-DD")
    return date.fromisoformat(value)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _check(
    status: Status, days_left: int | None, claims: dict[str, Any] | None, message: str
) -> LicenceCheck:
    return LicenceCheck(status, days_left, status in RUNNABLE, claims, message)
