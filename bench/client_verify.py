"""Benchmark: `entitle_client.verify_licence` against a bare Ed25519 verification.

Both verify the same licence in the same run: `verify_licence` reads the armoured text (armour,
base64url, JSON, claims, dates), the baseline only calls `Ed25519PublicKey.verify` on the signing
input bytes. Prints verifications per second (best of N rounds) and their ratio (target ≥ 0.8).
A third rate checks a different file on each call, so that no decoded part is ever reused.

    .venv/bin/python bench/client_verify.py [--seconds 3] [--rounds 3]
"""

import argparse
import base64
import itertools
import json
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from entitle_client import KeySet, Status, verify_licence

HOST_ID = "host-4f1c9e2a7b"
BATCH = 50
SLICE = 0.1


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_licence(private: Ed25519PrivateKey, serial: int = 1) -> tuple[str, KeySet, bytes, bytes]:
    """An armoured licence, its key set, and the signature and signing input it carries."""
    kid = "2026-11-23-7f4a"
    header = {"alg": "EdDSA", "kid": kid, "typ": "entitle-licence+jwt"}
    claims = {
        "iss": "entitle",
        "activation_id": "7KQ2M-XH4PA-9RTCW-EN3BZ",
        "host_id": HOST_ID,
        "product": "pcns",
        "product_name": "PowerChute Network Shutdown",
        "sku": "PCNS-1Y",
        "quantity": 5,
        "start": "2026-01-01",
        "end": "2099-01-01",
        "grace_days": 30,
        "warn_days": 30,
        "serial": serial,
        "iat": 1767225600,
    }
    signing_input = ".".join(
        b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    ).encode("ascii")
    signature = private.sign(signing_input)
    token = f"{signing_input.decode()}.{b64(signature)}"
    lines = [token[i : i + 64] for i in range(0, len(token), 64)]
    text = "\n".join(["-----BEGIN ENTITLE LICENCE-----", *lines, "-----END ENTITLE LICENCE-----"])
    jwks = {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64(private.public_key().public_bytes_raw()),
                "kid": kid,
            }
        ]
    }
    return text + "\n", KeySet.from_jwks(jwks), signature, signing_input


def measure(calls: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Calls per second of each, over `seconds` each, taken in turns of `SLICE` seconds so that
    any change in the machine's load hits all of them alike."""
    counts, times = dict.fromkeys(calls, 0), dict.fromkeys(calls, 0.0)
    while min(times.values()) < seconds:
        for name, call in calls.items():
            count, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < SLICE:
                for _ in range(BATCH):
                    call()
                count += BATCH
            counts[name] += count
            times[name] += elapsed
    return {name: counts[name] / times[name] for name in calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each; the best counts")
    args = parser.parse_args()

    private = Ed25519PrivateKey.generate()
    text, keys, signature, signing_input = make_licence(private)
    texts = itertools.cycle([make_licence(private, serial)[0] for serial in range(1, 1001)])
    assert verify_licence(text, keys=keys, host_id=HOST_ID).status is Status.VALID
    public_key = keys[next(iter(keys))]

    def raw() -> None:
        public_key.verify(signature, signing_input)

    def same_file() -> object:
        return verify_licence(text, keys=keys, host_id=HOST_ID)

    def new_file() -> object:
        return verify_licence(next(texts), keys=keys, host_id=HOST_ID)

    calls = {"raw": raw, "same": same_file, "new": new_file}
    best = dict.fromkeys(calls, 0.0)
    for round_ in range(1, args.rounds + 1):
        rates = measure(calls, args.seconds)
        best = {name: max(best[name], rates[name]) for name in calls}
        print(f"round {round_}: " + ", ".join(f"{n} {r:,.0f}/s" for n, r in rates.items()))
    print(f"Ed25519PublicKey.verify:              {best['raw']:,.0f} verifications/s")
    print(f"verify_licence, the same file:        {best['same']:,.0f} verifications/s")
    print(f"verify_licence, a new file each call: {best['new']:,.0f} verifications/s")
    print(f"ratio, the same file:                 {best['same'] / best['raw']:.3f} (target ≥ 0.8)")
    print(f"ratio, a new file each call:          {best['new'] / best['raw']:.3f}")


if __name__ == "__main__":
    main()
