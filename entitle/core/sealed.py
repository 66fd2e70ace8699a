"""Secrets the server must read back (webhook signing secrets, identity providers' client
secrets), kept encrypted at rest with a key derived from ENTITLE_KEY_ENCRYPTION_KEY (or, if
unset, SECRET_KEY), one derived key per purpose."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _fernet(purpose: str) -> Fernet:
    secret = (settings.ENTITLE.get("KEY_ENCRYPTION_KEY") or settings.SECRET_KEY).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"entitle-sealed", info=purpose.encode()
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, *, purpose: str) -> str:
    return _fernet(purpose).encrypt(value.encode()).decode("ascii")


def unseal(token: str, *, purpose: str) -> str:
    """The sealed value; InvalidToken if it was sealed for another purpose or key."""
    return _fernet(purpose).decrypt(token.encode()).decode()


__all__ = ["InvalidToken", "seal", "unseal"]
