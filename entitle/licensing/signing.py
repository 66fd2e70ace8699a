"""The vendor's Ed25519 signing keys; licence files and answers signed in the client's format.

The wire format (compact JWS, armour) is `entitle_client.jws`: the server signs with the module
products verify with. Private keys are stored encrypted with a key derived from
ENTITLE_KEY_ENCRYPTION_KEY (or, if unset, SECRET_KEY); each is decrypted once per process and
kept in memory. Which key is current is read from the database at every signature (the hot
validate path reads it in the query it makes anyway), so a committed rotation is seen by every
app server on its next signature.
"""

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from entitle_client import jws
from entitle_client.licence import LICENCE_TYP
from entitle_client.online import VALIDATION_TYP

from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.policy import require_vendor_staff
from entitle.licensing.models import SigningKey

__all__ = ["LICENCE_TYP", "VALIDATION_TYP"]


def _fernet() -> Fernet:
    secret = (settings.ENTITLE.get("KEY_ENCRYPTION_KEY") or settings.SECRET_KEY).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"entitle-signing-keys", info=b"fernet"
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass(frozen=True)
class _LoadedKey:
    kid: str
    private: Ed25519PrivateKey


_loaded: dict[str, _LoadedKey] = {}


def _load(key: SigningKey) -> _LoadedKey:
    loaded = _loaded.get(key.kid)
    if loaded is None:
        raw = _fernet().decrypt(key.private_key_encrypted.encode())
        loaded = _LoadedKey(key.kid, Ed25519PrivateKey.from_private_bytes(raw))
        _loaded[key.kid] = loaded
    return loaded


def _create_key(*, make_current: bool) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    kid = f"{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"
    return SigningKey.objects.create(
        kid=kid,
        public_key=jws.b64url_encode(raw_public),
        private_key_encrypted=_fernet().encrypt(raw_private).decode(),
        is_current=make_current,
    )


def current_key(kid: str | None = None) -> _LoadedKey:
    """The key new files and answers are signed with; made on first use.

    `kid` is the current key's id when the caller has just read it from the database; otherwise
    it is read here (one look-up on the partial unique index)."""
    if kid is None:
        kid = SigningKey.objects.filter(is_current=True).values_list("kid", flat=True).first()
    if kid is not None and kid in _loaded:
        return _loaded[kid]
    key = SigningKey.objects.filter(kid=kid).first() if kid is not None else None
    if key is None:
        try:
            with transaction.atomic():
                key = _create_key(make_current=True)
        except IntegrityError:
            # Another process made the first key at the same moment (one_current_key).
            key = SigningKey.objects.get(is_current=True)
    return _load(key)


def rotate_keys(*, actor: Actor | None) -> SigningKey:
    """Make a new current key. Older keys stay published: files signed with them stay valid."""
    if actor is not None:
        require_vendor_staff(actor)
    with transaction.atomic():
        old = list(SigningKey.objects.select_for_update().filter(is_current=True))
        SigningKey.objects.filter(pk__in=[k.pk for k in old]).update(
            is_current=False, retired_at=timezone.now()
        )
        new = _create_key(make_current=True)
        record(
            actor=actor or Actor.anonymous(),
            action=AuditAction.SIGNING_KEY_ROTATED,
            obj=new,
            company=None,
            before={"current": [k.kid for k in old]},
            after={"current": new.kid},
        )
    return new


def jwks() -> dict[str, Any]:
    # A new installation publishes its first key before it signs anything with it.
    current_key()
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": key.public_key,
                "kid": key.kid,
                "use": "sig",
                "alg": "EdDSA",
            }
            for key in SigningKey.objects.order_by("created_at")
        ]
    }


@dataclass(frozen=True)
class Signed:
    token: str
    kid: str


def sign(claims: dict[str, Any], *, typ: str, kid: str | None = None) -> Signed:
    """A compact JWS over `claims`, signed with the current key (`kid`: see `current_key`)."""
    key = current_key(kid)
    return Signed(jws.sign(claims, key=key.private, kid=key.kid, typ=typ), key.kid)


def armour(token: str) -> str:
    return jws.armour(token)
