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


class Status(StrEnum):
    """The outcome of checking a licence file, as the licence-files contract names it."""

    VALID = "valid"
    EXPIRING = "expiring"
    GRACE = "grace"
    EXPIRED = "expired"
    INVALID_SIGNATURE = "invalid_signature"
    WRONG_DEVICE = "wrong_device"
    ISSUED_IN_FUTURE = "issued_in_future"


RUNNABLE = frozenset({Status.VALID, Status.EXPIRING, Status.GRACE})


@dataclass(frozen=True, slots=True)
class LicenceCheck:
    """What the product shows and does.

    `days_left` is `end − today` while valid or expiring, `end + grace_days − today` in grace,
    0 once expired and None otherwise. `claims` are the signed claims, None when the signature
    did not verify.
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
) -> LicenceCheck:
    """Check an armoured (or bare) licence file; never raises on a bad file.

    Checks, in order: signature and well-formed claims, host id, issue time (`iat` more than five
    minutes after `now` means the clock was rolled back), dates. `now` defaults to the current
    time; `today` to the device's local date at `now`.
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")  # anything else fails as not ASCII
        claims = jws.verify(jws.unarmour(text), keys, typ=LICENCE_TYP).claims
        end, grace_end = _checked_dates(claims)
    except ValueError as exc:
        return _check(Status.INVALID_SIGNATURE, None, None, f"Licence file is not valid: {exc}.")
    if claims["host_id"] != host_id:
        return _check(
            Status.WRONG_DEVICE,
            None,
            claims,
            f"Licence is for another device (host id {claims['host_id']}, "
            f"this device is {host_id}).",
        )
    timestamp = time.time() if now is None else now.timestamp()
    if claims["iat"] > timestamp + CLOCK_SKEW_SECONDS:
        minutes = (claims["iat"] - int(timestamp)) // 60
        return _check(
            Status.ISSUED_IN_FUTURE,
            None,
            claims,
            f"Licence issued {minutes} minutes in the future: check this device's date and time.",
        )
    if today is None:
        today = date.fromtimestamp(timestamp)
    days_left = (end - today).days
    grace_days = claims["grace_days"]
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
    if days_left + grace_days > 0:
        return _check(
            Status.GRACE,
            days_left + grace_days,
            claims,
            f"Licence expired on {end}: grace period, {_days(days_left + grace_days)} left "
            f"(grace ends on {grace_end}). Renew the licence now.",
        )
    ended = f" (grace ended {grace_end})" if grace_days else ""
    return _check(
        Status.EXPIRED,
        0,
        claims,
        f"Licence expired on {end}{ended}. Renew the licence: the protected function is disabled.",
    )


def _checked_dates(claims: dict[str, Any]) -> tuple[date, date]:
    """Raise `ValueError` unless every claim is well formed; return `end` and the end of grace."""
    for name, kind in _CLAIM_TYPES.items():
        if type(claims.get(name)) is not kind:
            raise ValueError(f"claim {name!r} is missing or not {kind.__name__}")
    if claims["iss"] != "entitle":
        raise ValueError("issuer is not entitle")
    if claims["grace_days"] < 0 or claims["warn_days"] < 0:
        raise ValueError("grace_days and warn_days cannot be negative")
    start, end = _iso_date(claims["start"]), _iso_date(claims["end"])
    if start > end:
        raise ValueError("start is after end")
    try:
        return end, end + timedelta(days=claims["grace_days"])
    except OverflowError:
        raise ValueError("grace_days is out of range") from None


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
