"""The vendor's public keys: a JWKS reduced to its Ed25519 keys, by key id."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from entitle_client.jws import b64url_decode, b64url_encode


class KeySetError(ValueError):
    """The JWKS is not JSON, not a key set, or an Ed25519 key in it is unusable."""


class KeySet(Mapping[str, Ed25519PublicKey]):
    """Ed25519 public keys by `kid`: a read-only mapping."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._keys = dict(keys)

    @classmethod
    def from_jwks(cls, jwks: str | bytes | Mapping[str, Any]) -> KeySet:
        """Keep the `kty OKP`, `crv Ed25519` keys of a JWKS; other key types are ignored."""
        if isinstance(jwks, str | bytes):
            try:
                jwks = json.loads(jwks)
            except (ValueError, RecursionError) as exc:
                raise KeySetError(f"JWKS is not JSON: {exc}") from None
        entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(entries, list):
            raise KeySetError('JWKS has no "keys" list')
        keys: dict[str, Ed25519PublicKey] = {}
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise KeySetError("JWKS entry is not an object")
            if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
                continue
            kid, x = entry.get("kid"), entry.get("x")
            if not isinstance(kid, str) or not kid or not isinstance(x, str):
                raise KeySetError("Ed25519 key without a kid or x")
            if kid in keys:
                raise KeySetError(f"kid {kid!r} appears twice")
            try:
                raw = b64url_decode(x)
                keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
            except ValueError as exc:
                raise KeySetError(f"key {kid!r} is not an Ed25519 public key: {exc}") from None
        return cls(keys)

    @classmethod
    def load(cls, path: str | Path) -> KeySet:
        """Read a JWKS file (raises `OSError` if unreadable, `KeySetError` if malformed)."""
        return cls.from_jwks(Path(path).read_bytes())

    def to_jwks(self) -> dict[str, Any]:
        """The key set as a JWKS, as `GET /api/v1/keys` publishes it."""
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": b64url_encode(key.public_bytes_raw()),
                    "kid": kid,
                    "use": "sig",
                    "alg": "EdDSA",
                }
                for kid, key in self._keys.items()
            ]
        }

    def __getitem__(self, kid: str) -> Ed25519PublicKey:
        return self._keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
