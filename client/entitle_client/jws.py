"""Compact JWS (RFC 7515) signed with Ed25519 (`alg: EdDSA`, RFC 8037), and the text armour.

The one definition of the wire format (docs/licence-files.md): the server signs licence files and
answers with `sign`, products verify them with `verify`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

LICENCE_LABEL = "ENTITLE LICENCE"
BEGIN = f"-----BEGIN {LICENCE_LABEL}-----"
END = f"-----END {LICENCE_LABEL}-----"
LINE_LENGTH = 64
MAX_TOKEN_LENGTH = 64 * 1024
SIGNATURE_LENGTH = 64
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


class JWSError(ValueError):
    """The text is not a JWS that verifies; the message says why."""


class MalformedJWS(JWSError):
    """Armour, compact form, base64url, JSON or header fields are wrong."""


class BadSignature(JWSError):
    """Not signed with `EdDSA` by a key of the key set, or the signature does not match."""


@dataclass(frozen=True, slots=True)
class VerifiedJWS:
    """The protected header and the claims of a JWS whose signature verified."""

    header: dict[str, Any]
    claims: dict[str, Any]


def b64url_encode(raw: bytes) -> str:
    """Encode as unpadded base64url."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; padding, stray characters and non-canonical text are errors."""
    data = text.encode("ascii", "replace")  # any other character becomes "?": not base64url
    rest = len(data) % 4
    if rest == 1 or data.translate(None, _ALPHABET):
        raise ValueError("not unpadded base64url")
    if rest and _ALPHABET.index(data[-1]) & (0x0F if rest == 2 else 0x03):
        raise ValueError("not canonical base64url (unused bits are set)")
    return binascii.a2b_base64(data.translate(_TO_STANDARD) + b"=" * (-rest % 4))


def _json(value: Mapping[str, Any], *, sort_keys: bool = False) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()


@functools.lru_cache(maxsize=64)
def _encoded_header(kid: str, typ: str) -> str:
    # A signer uses a handful of (kid, typ) pairs: a server signs thousands of answers a second.
    return b64url_encode(_json({"alg": "EdDSA", "kid": kid, "typ": typ}))


def sign(claims: Mapping[str, Any], *, key: Ed25519PrivateKey, kid: str, typ: str) -> str:
    """A compact JWS over `claims` (compact JSON, keys sorted), header `alg`, `kid`, `typ`."""
    signing_input = f"{_encoded_header(kid, typ)}.{b64url_encode(_json(claims, sort_keys=True))}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def armour(token: str, label: str = LICENCE_LABEL) -> str:
    """Wrap a compact JWS in the armour (`-----BEGIN <label>-----`), 64 characters a line."""
    lines = [token[i : i + LINE_LENGTH] for i in range(0, len(token), LINE_LENGTH)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def unarmour(text: str, label: str = LICENCE_LABEL) -> str:
    """The compact JWS inside the armour (or a bare compact JWS), white space removed.

    Only white space may surround the armour, and both armour lines must be present.
    """
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    body = text.strip()
    if body.startswith(begin) and body.endswith(end) and len(body) >= len(begin) + len(end):
        body = body[len(begin) : -len(end)]
    if "-----" in body:
        raise MalformedJWS("armour lines are missing or damaged")
    return "".join(body.split())


def verify(token: str, keys: Mapping[str, Ed25519PublicKey], *, typ: str) -> VerifiedJWS:
    """Verify a compact JWS of type `typ` with the key its header's `kid` names.

    The signature covers the exact ASCII bytes `header_b64 + "." + payload_b64`; the payload is
    parsed only once the signature has verified. Raises `MalformedJWS` or `BadSignature`.
    """
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise MalformedJWS("not a compact JWS: too long or not ASCII")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedJWS("not a compact JWS (header.payload.signature)")
    header_b64, payload_b64, signature_b64 = parts
    header = json_part(header_b64, "header")
    if header.get("alg") != "EdDSA":
        raise BadSignature(f"alg {header.get('alg')!r} is not EdDSA")
    if header.get("typ") != typ:
        raise MalformedJWS(f"typ {header.get('typ')!r} is not {typ!r}")
    if "crit" in header:
        raise MalformedJWS("critical header extensions are not supported")
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise BadSignature(f"no published key has kid {kid!r}")
    signature = _decode(signature_b64, "signature")
    if len(signature) != SIGNATURE_LENGTH:
        raise BadSignature("an Ed25519 signature is 64 bytes")
    try:
        key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except InvalidSignature:
        raise BadSignature("the signature does not match") from None
    return VerifiedJWS(dict(header), dict(json_part(payload_b64, "payload")))


@functools.lru_cache(maxsize=16)
def json_part(part: str, name: str) -> dict[str, Any]:
    """The JSON object a base64url part encodes (unverified: read a header with it).

    Decoding is a pure function of the text, so the last few are cached: a product checks the
    same licence file again and again (the signature is verified every time; callers get copies).
    """
    raw = _decode(part, name)
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise MalformedJWS(f"{name} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise MalformedJWS(f"{name} is not a JSON object")
    return value


def _decode(part: str, name: str) -> bytes:
    try:
        return b64url_decode(part)
    except ValueError as exc:
        raise MalformedJWS(f"{name}: {exc}") from None
