"""The vendor's Ed25519 signing keys and the compact JWS they sign (docs/licence-files.md).

Private keys are stored encrypted with a key derived from ENTITLE_KEY_ENCRYPTION_KEY (or, if
unset, SECRET_KEY); they are decrypted once per process and kept in memory.
"""

import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.policy import require_vendor_staff
from entitle.licensing.models import SigningKey

ARMOUR_BEGIN = "-----BEGIN ENTITLE LICENCE-----"
ARMOUR_END = "-----END ENTITLE LICENCE-----"
LICENCE_TYP = "entitle-licence+jwt"
VALIDATION_TYP = "entitle-validation+jwt"
# How long a process keeps using the key it knows as current before asking the database again.
CURRENT_KEY_TTL = 30.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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
_current: tuple[float, str] | None = None


def _load(key: SigningKey) -> _LoadedKey:
    loaded = _loaded.get(key.kid)
    if loaded is None:
        raw = _fernet().decrypt(key.private_key_encrypted.encode())
        loaded = _LoadedKey(key.kid, Ed25519PrivateKey.from_private_bytes(raw))
        _loaded[key.kid] = loaded
    return loaded


def forget_current_key() -> None:
    global _current
    _current = None


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
        public_key=b64url(raw_public),
        private_key_encrypted=_fernet().encrypt(raw_private).decode(),
        is_current=make_current,
    )


def current_key() -> _LoadedKey:
    """The key new files and answers are signed with; made on first use."""
    global _current
    now = time.monotonic()
    if _current is not None and now - _current[0] < CURRENT_KEY_TTL and _current[1] in _loaded:
        return _loaded[_current[1]]
    key = SigningKey.objects.filter(is_current=True).first()
    if key is None:
        try:
            with transaction.atomic():
                key = _create_key(make_current=True)
        except IntegrityError:
            # Another process made the first key at the same moment (one_current_key).
            key = SigningKey.objects.get(is_current=True)
    loaded = _load(key)
    _current = (now, key.kid)
    return loaded


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
    forget_current_key()
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


def sign(claims: dict[str, Any], *, typ: str) -> Signed:
    """A compact JWS over `claims`, signed with the current key."""
    key = current_key()
    header = {"alg": "EdDSA", "kid": key.kid, "typ": typ}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    )
    signature = key.private.sign(signing_input.encode("ascii"))
    return Signed(f"{signing_input}.{b64url(signature)}", key.kid)


def armour(token: str) -> str:
    lines = [token[i : i + 64] for i in range(0, len(token), 64)]
    return "\n".join([ARMOUR_BEGIN, *lines, ARMOUR_END]) + "\n"
