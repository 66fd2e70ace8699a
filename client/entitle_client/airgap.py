"""Air-gapped activation and deactivation: files signed by a per-installation key.

A product that cannot reach the server makes an installation key once (Ed25519; the private half
never leaves the device) and signs its activation requests and deactivation proofs with it. The
header's `kid` is the public key itself (raw, base64url) and the `installation_key` claim repeats
it, so the server verifies a request without knowing the installation beforehand, then pins the
key to the device's binding: only that installation can prove its deactivation later.
The server reads these files with `read_activation_request` and `read_deactivation_proof`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from entitle_client import jws
from entitle_client.ids import normalize_activation_id, normalize_host_id

REQUEST_LABEL = "ENTITLE ACTIVATION REQUEST"
REQUEST_TYP = "entitle-activation-request+jwt"
PROOF_LABEL = "ENTITLE DEACTIVATION PROOF"
PROOF_TYP = "entitle-deactivation-proof+jwt"
MAX_FILE_LENGTH = 4096

_REQUEST_CLAIMS: dict[str, type] = {
    "activation_id": str,
    "host_id": str,
    "nonce": str,
    "product_version": str,
    "device_name": str,
    "installation_key": str,
    "iat": int,
}
_PROOF_CLAIMS: dict[str, type] = {
    "activation_id": str,
    "host_id": str,
    "serial": int,
    "nonce": str,
    "installation_key": str,
    "iat": int,
}


def public_key_id(key: Ed25519PrivateKey) -> str:
    """The installation key's id: its raw public key, base64url."""
    return jws.b64url_encode(key.public_key().public_bytes_raw())


class _OwnKey(Mapping[str, Ed25519PublicKey]):
    """A key set in which the only key is the one its id spells out."""

    def __init__(self, kid: str) -> None:
        try:
            self._key = Ed25519PublicKey.from_public_bytes(jws.b64url_decode(kid))
        except ValueError:
            raise jws.BadSignature("the key id is not an Ed25519 public key") from None
        self._kid = kid

    def __getitem__(self, kid: str) -> Ed25519PublicKey:
        if kid != self._kid:
            raise KeyError(kid)
        return self._key

    def __iter__(self) -> Iterator[str]:
        return iter((self._kid,))

    def __len__(self) -> int:
        return 1


def activation_request(
    key: Ed25519PrivateKey,
    *,
    activation_id: str,
    host_id: str,
    product_version: str,
    device_name: str = "",
    nonce: str | None = None,
) -> tuple[str, str]:
    """The armoured request file and its nonce (keep the nonce: the response must echo it)."""
    nonce = nonce or secrets.token_urlsafe(16)
    kid = public_key_id(key)
    claims = {
        "activation_id": normalize_activation_id(activation_id),
        "host_id": normalize_host_id(host_id),
        "nonce": nonce,
        "product_version": product_version,
        "device_name": device_name,
        "installation_key": kid,
        "iat": int(time.time()),
    }
    token = jws.sign(claims, key=key, kid=kid, typ=REQUEST_TYP)
    return jws.armour(token, REQUEST_LABEL), nonce


def deactivation_proof(
    key: Ed25519PrivateKey, *, activation_id: str, host_id: str, serial: int
) -> str:
    """The armoured proof that this installation removed its licence file `serial`."""
    kid = public_key_id(key)
    claims = {
        "activation_id": normalize_activation_id(activation_id),
        "host_id": normalize_host_id(host_id),
        "serial": serial,
        "nonce": secrets.token_urlsafe(16),
        "installation_key": kid,
        "iat": int(time.time()),
    }
    return jws.armour(jws.sign(claims, key=key, kid=kid, typ=PROOF_TYP), PROOF_LABEL)


def read_activation_request(text: str) -> dict[str, Any]:
    """The verified claims of a request file, identifiers normalised; raises `jws.JWSError`."""
    return _read(text, REQUEST_LABEL, REQUEST_TYP, _REQUEST_CLAIMS)


def read_deactivation_proof(text: str) -> dict[str, Any]:
    """The verified claims of a deactivation proof, identifiers normalised; raises `JWSError`."""
    return _read(text, PROOF_LABEL, PROOF_TYP, _PROOF_CLAIMS)


def _read(text: str, label: str, typ: str, contract: dict[str, type]) -> dict[str, Any]:
    if len(text) > MAX_FILE_LENGTH:
        raise jws.MalformedJWS("the file is too long")
    token = jws.unarmour(text, label)
    header_b64 = token.split(".", 1)[0]
    kid = jws.json_part(header_b64, "header").get("kid")
    if not isinstance(kid, str):
        raise jws.MalformedJWS("the header has no installation key id")
    claims = jws.verify(token, _OwnKey(kid), typ=typ).claims
    for name, kind in contract.items():
        if type(claims.get(name)) is not kind:
            raise jws.MalformedJWS(f"claim {name!r} is missing or not {kind.__name__}")
    if claims["installation_key"] != kid:
        raise jws.BadSignature("the installation key is not the signing key")
    claims["activation_id"] = normalize_activation_id(claims["activation_id"])
    claims["host_id"] = normalize_host_id(claims["host_id"])
    return claims
