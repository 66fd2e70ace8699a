import json

import pytest
from entitle_client import KeySet, KeySetError
from factory import Signer, jwks


def test_from_jwks_accepts_text_bytes_and_dict():
    a, b = Signer("a"), Signer("b")
    document = jwks(a, b)
    for form in (document, json.dumps(document), json.dumps(document).encode()):
        keys = KeySet.from_jwks(form)
        assert sorted(keys) == ["a", "b"] and len(keys) == 2
        assert keys["a"].public_bytes_raw() == a.private.public_key().public_bytes_raw()


def test_other_key_types_are_ignored():
    ed = Signer("ed")
    document = {
        "keys": [
            {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
            {"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AAAA"},
            {"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AA", "y": "AA"},
            ed.jwk(),
        ]
    }
    assert list(KeySet.from_jwks(document)) == ["ed"]


def test_load_and_round_trip(tmp_path):
    signer = Signer("2026-11-23-7f4a")
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(jwks(signer)))
    keys = KeySet.load(path)
    assert keys.to_jwks() == jwks(signer)
    assert KeySet.from_jwks(keys.to_jwks()) == keys
    with pytest.raises(OSError):
        KeySet.load(tmp_path / "missing.json")


def _ed(**fields):
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k", **fields}]}


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        b"\xff",
        "[" * 100_000,
        "[]",
        {},
        {"keys": {}},
        {"keys": ["a"]},
        _ed(),
        _ed(x=None),
        _ed(x="AAAA"),
        _ed(x="A" * 42 + "=="),
        _ed(x="!" * 43),
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": Signer("k").jwk()["x"]}]},
        {"keys": [Signer("k").jwk(), Signer("k").jwk()]},
    ],
    ids=lambda value: repr(value)[:40],
)
def test_malformed_jwks(document):
    with pytest.raises(KeySetError):
        KeySet.from_jwks(document)
