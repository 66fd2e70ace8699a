"""Build licence files and answers exactly as docs/licence-files.md says, independently of the
package under test: JSON, unpadded base64url, Ed25519 over `header_b64 + "." + payload_b64`, and
the armour wrapped at 64 characters."""

import base64
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HOST_ID = "host-4f1c9e2a7b"
ACTIVATION_ID = "7KQ2M-XH4PA-9RTCW-EN3BZ"
LICENCE_TYP = "entitle-licence+jwt"
VALIDATION_TYP = "entitle-validation+jwt"


class Signer:
    """A vendor signing key and its key id."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()

    def jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64(self.private.public_key().public_bytes_raw()),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        }

    def token(self, claims: dict[str, Any], *, typ: str = LICENCE_TYP, **header: Any) -> str:
        protected = {"alg": "EdDSA", "kid": self.kid, "typ": typ, **header}
        return self.sign(json_bytes(protected), json_bytes(claims))

    def sign(self, header: bytes, payload: bytes) -> str:
        """A compact JWS of these exact header and payload bytes."""
        signing_input = f"{b64(header)}.{b64(payload)}"
        return f"{signing_input}.{b64(self.private.sign(signing_input.encode('ascii')))}"

    def header(self, typ: str = LICENCE_TYP) -> bytes:
        return json_bytes({"alg": "EdDSA", "kid": self.kid, "typ": typ})

    def licence(self, **overrides: Any) -> str:
        return armour(self.token(licence_claims(**overrides)))


def jwks(*signers: Signer) -> dict[str, Any]:
    return {"keys": [signer.jwk() for signer in signers]}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def armour(token: str) -> str:
    lines = [token[i : i + 64] for i in range(0, len(token), 64)]
    return "\n".join(["-----BEGIN ENTITLE LICENCE-----", *lines, "-----END ENTITLE LICENCE-----"])


def licence_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": "entitle",
        "activation_id": ACTIVATION_ID,
        "host_id": HOST_ID,
        "product": "pcns",
        "product_name": "PowerChute Network Shutdown",
        "sku": "PCNS-1Y",
        "quantity": 5,
        "start": "2026-01-01",
        "end": "2027-01-01",
        "grace_days": 30,
        "warn_days": 30,
        "serial": 1,
        "iat": 1767225600,  # 2026-01-01T00:00:00Z
    }
    claims.update(overrides)
    return claims


def json_bytes(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
