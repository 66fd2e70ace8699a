"""What the licensed product asks online: activate (bind and get a licence file) and validate.

The product authenticates with its Activation ID and host id: the Activation ID is the
credential, so these look-ups are the authentication step and cannot start from an actor's
`visible_to`. Every answer is a JWS signed by the vendor; the bytes signed are the bytes sent.
"""

import secrets
import time
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from entitle.core import codes, ratelimit
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import DomainError
from entitle.licensing import signing
from entitle.licensing.arithmetic import status_at
from entitle.licensing.errors import AssignmentRefused
from entitle.licensing.models import Binding, Device, Licence
from entitle.licensing.selectors import licence_status
from entitle.licensing.services.devices import bind, create_device


class ProductRequestInvalid(DomainError):
    status = 422
    code = "invalid_request"


@dataclass(frozen=True)
class Answer:
    token: str
    claims: dict
    licence: str | None = None


VALID_CODES = ("VALID", "EXPIRING", "GRACE")
CODE_OF_STATUS = {
    "active": "VALID",
    "expiring": "EXPIRING",
    "grace": "GRACE",
    "expired": "EXPIRED",
    "suspended": "SUSPENDED",
}


def _clean(activation_id: str, host_id: str, nonce: str | None) -> tuple[str | None, str, str]:
    host_id = (host_id or "").strip()
    if not host_id or len(host_id) > 128:
        raise ProductRequestInvalid("host_id is required (up to 128 characters).")
    nonce = (nonce or "")[:64] or secrets.token_urlsafe(12)
    try:
        activation = codes.normalize(activation_id or "")
    except codes.CodeTypo:
        activation = None
    ratelimit.hit(
        f"product:{activation or 'malformed'}",
        limit=settings.ENTITLE["PRODUCT_RATE"],
        window_seconds=60,
        message="Too many requests for this Activation ID. Please wait a minute.",
    )
    return activation, host_id, nonce


def _answer(
    activation_id: str | None, host_id: str, nonce: str, code: str, licence: Licence | None
) -> dict:
    claims = {
        "iss": "entitle",
        "activation_id": activation_id or "",
        "host_id": host_id,
        "nonce": nonce,
        "iat": int(time.time()),
        "code": code,
        "valid": code in VALID_CODES,
        "status": None,
        "days_left": None,
        "end": None,
        "grace_days": None,
        "serial": None,
    }
    if licence is not None:
        at = licence_status(licence)
        claims.update(
            status=str(at.status),
            days_left=at.days_left,
            end=licence.end_date.isoformat(),
            grace_days=licence.product.grace_days,
            serial=licence.file_serial,
        )
    return claims


def _signed(claims: dict, licence_text: str | None = None) -> Answer:
    return Answer(signing.sign(claims, typ=signing.VALIDATION_TYP).token, claims, licence_text)


def _validation_sql() -> str:
    licence, product = Licence._meta.db_table, Licence.product.field.related_model._meta.db_table
    binding, device = Binding._meta.db_table, Device._meta.db_table
    # Only table names (from the models) are formatted in; every value is a query parameter.
    return (
        f"SELECT l.end_date, l.suspended_at IS NOT NULL, l.file_serial, p.warn_days, "  # noqa: S608
        f"p.grace_days, EXISTS (SELECT 1 FROM {binding} b JOIN {device} d ON d.id = b.device_id "
        f"WHERE b.licence_id = l.id AND d.host_id = %s) "
        f"FROM {licence} l JOIN {product} p ON p.id = l.product_id WHERE l.activation_id = %s"
    )


VALIDATION_SQL = _validation_sql()


def _validation_row(host_id: str, activation: str) -> tuple | None:
    if connection.vendor == "postgresql":
        # A server-side prepared statement for this one query: PostgreSQL plans it once per
        # connection instead of on every request.
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            return cursor.execute(VALIDATION_SQL, [host_id, activation], prepare=True).fetchone()
    with connection.cursor() as cursor:
        cursor.execute(VALIDATION_SQL, [host_id, activation])
        return cursor.fetchone()


def product_validate(*, activation_id: str, host_id: str, nonce: str | None = None) -> Answer:
    """Is this licence valid on this host right now? One indexed look-up, one signature.

    The look-up is one hand-written query (the unique index on the Activation ID, the binding's
    index): this is the hottest path of the system, called by every running product."""
    activation, host_id, nonce = _clean(activation_id, host_id, nonce)
    row = None if activation is None else _validation_row(host_id, activation)
    claims = _answer(activation, host_id, nonce, "NOT_FOUND", None)
    if row is not None:
        end, suspended, serial, warn_days, grace_days, on_host = row
        at = status_at(
            end=end,
            on=timezone.localdate(),
            warn_days=warn_days,
            grace_days=grace_days,
            suspended=suspended,
        )
        code = CODE_OF_STATUS[at.status] if on_host else "HOST_MISMATCH"
        claims.update(
            code=code,
            valid=code in VALID_CODES,
            status=str(at.status),
            days_left=at.days_left,
            end=end.isoformat(),
            grace_days=grace_days,
            serial=serial,
        )
    return _signed(claims)


def product_activate(
    *, activation_id: str, host_id: str, nonce: str | None = None, device_name: str = ""
) -> Answer:
    """Bind this host to the licence if the licence allows it, and hand out its licence file.

    The device is registered for the licence's owner if it is new. Activating again on a
    bound host returns the newest file."""
    activation, host_id, nonce = _clean(activation_id, host_id, nonce)
    with transaction.atomic():
        licence = (
            Licence.objects.select_for_update(of=("self",))
            .select_related("product", "sku", "owner")
            .filter(activation_id=activation)
            .first()
            if activation
            else None
        )
        if licence is None:
            return _signed(_answer(activation, host_id, nonce, "NOT_FOUND", None))
        status_code = CODE_OF_STATUS[licence_status(licence).status]
        if status_code in ("EXPIRED", "SUSPENDED"):
            return _signed(_answer(activation, host_id, nonce, status_code, licence))
        product_actor = Actor.anonymous()
        device = Device.objects.filter(
            owner=licence.owner, product=licence.product, host_id=host_id
        ).first() or create_device(
            actor=product_actor,
            owner=licence.owner,
            product=licence.product,
            name=device_name or host_id,
            host_id=host_id,
        )
        existing = licence.bindings.filter(device=device).first()
        if existing is not None:
            file = licence.files.filter(device=device).first()
            return _signed(
                _answer(activation, host_id, nonce, status_code, licence),
                file.text if file else None,
            )
        try:
            with transaction.atomic():
                _, file = bind(actor=product_actor, licence=licence, device=device)
        except AssignmentRefused:
            return _signed(_answer(activation, host_id, nonce, "TOO_MANY_DEVICES", licence))
        record(
            actor=product_actor,
            action=AuditAction.LICENCE_ACTIVATED,
            obj=licence,
            company=licence.owner,
            after={"host_id": host_id, "device": str(device.public_id), "serial": file.serial},
        )
        return _signed(_answer(activation, host_id, nonce, status_code, licence), file.text)
