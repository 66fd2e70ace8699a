"""Malformed and tampered files: always `invalid_signature`, never an exception."""

import base64
import string
from datetime import UTC, date, datetime

import pytest
from entitle_client import KeySet, Status, verify_licence
from entitle_client.jws import BadSignature, MalformedJWS, unarmour, verify
from factory import HOST_ID, VALIDATION_TYP, Signer, armour, b64, json_bytes, licence_claims

ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def status(text: str | bytes, keys: KeySet) -> Status:
    result = verify_licence(text, keys=keys, host_id=HOST_ID, today=TODAY, now=NOW)
    if result.status is Status.INVALID_SIGNATURE:
        assert (result.claims, result.days_left, result.may_run) == (None, None, False)
        assert result.message.startswith("Licence file is not valid: ")
    return result.status


@pytest.fixture(scope="module")
def token(signer: Signer) -> str:
    return signer.token(licence_claims())


def region_positions(token: str) -> dict[str, range]:
    header, payload, _ = token.split(".")
    return {
        "header": range(0, len(header)),
        "payload": range(len(header) + 1, len(header) + 1 + len(payload)),
        "signature": range(len(header) + len(payload) + 2, len(token)),
    }


def mutations(char: str) -> set[str]:
    """The character with its low bit flipped, with its case flipped and the next base64url
    character (which, at the end of a part, may differ only in unused bits)."""
    return {
        chr(ord(char) ^ 0x01),
        chr(ord(char) ^ 0x20),
        ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)],
    } - {char}


def test_the_untampered_file_is_valid(token, keys):
    assert status(armour(token), keys) is Status.VALID


@pytest.mark.parametrize("region", ["header", "payload", "signature"])
def test_changing_any_character_of_any_region_is_invalid(token, keys, region):
    positions = region_positions(token)[region]
    assert len(positions) > 80
    for i in positions:
        for char in mutations(token[i]):
            tampered = token[:i] + char + token[i + 1 :]
            assert status(armour(tampered), keys) is Status.INVALID_SIGNATURE, (i, char)


@pytest.mark.parametrize("region", [0, 1, 2], ids=["header", "payload", "signature"])
def test_flipping_any_bit_of_any_decoded_byte_is_invalid(token, keys, region):
    parts = token.split(".")
    raw = base64.urlsafe_b64decode(parts[region] + "==")
    for i in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[i] ^= 1 << bit
            tampered = ".".join([*parts[:region], b64(bytes(flipped)), *parts[region + 1 :]])
            assert status(armour(tampered), keys) is Status.INVALID_SIGNATURE, (i, bit)


def test_separators_and_inserted_or_deleted_characters(token, keys):
    for i, char in enumerate(token):
        deleted = token[:i] + token[i + 1 :]
        assert status(armour(deleted), keys) is Status.INVALID_SIGNATURE, i
        if char == ".":
            for other in ["A", "-", "_", ",", ""]:
                assert status(armour(token[:i] + other + token[i + 1 :]), keys) is (
                    Status.INVALID_SIGNATURE
                )
    for i in range(0, len(token), 7):
        for extra in ["A", ".", "=", "+", "/", "é"]:
            inserted = token[:i] + extra + token[i:]
            assert status(armour(inserted), keys) is Status.INVALID_SIGNATURE, (i, extra)


def test_every_truncation_is_invalid(token, keys):
    text = armour(token)
    for length in range(len(text)):
        assert status(text[:length], keys) is Status.INVALID_SIGNATURE, length
    for length in range(len(token)):
        assert status(token[:length], keys) is Status.INVALID_SIGNATURE, length


def test_armour_lines(token, keys):
    lines = armour(token).splitlines()
    assert status("\n".join(lines[1:]), keys) is Status.INVALID_SIGNATURE
    assert status("\n".join(lines[:-1]), keys) is Status.INVALID_SIGNATURE
    assert status("\n".join(lines[1:-1]), keys) is Status.VALID  # a bare JWS, wrapped
    assert status(token, keys) is Status.VALID
    assert status(armour(token).replace("LICENCE", "LICENSE"), keys) is Status.INVALID_SIGNATURE
    assert status(lines[-1] + "\n" + "\n".join(lines[1:-1]) + "\n" + lines[0], keys) is (
        Status.INVALID_SIGNATURE
    )
    assert status("Here is your licence:\n" + armour(token), keys) is Status.INVALID_SIGNATURE
    assert status(armour(token) + armour(token), keys) is Status.INVALID_SIGNATURE


@pytest.mark.parametrize(
    "layout",
    [
        lambda lines: "\r\n".join(lines) + "\r\n",
        lambda lines: "\n\n  " + "\n\t".join(lines) + "  \n\n",
        lambda lines: "\n".join(line + "   " for line in lines),
        lambda lines: "\n\n".join(lines),
        lambda lines: "\n".join([lines[0], "".join(lines[1:-1]), lines[-1]]),
        lambda lines: "\n".join([lines[0], *" ".join(lines[1:-1]).split(" "), lines[-1]]),
    ],
    ids=["crlf", "indented", "trailing-spaces", "blank-lines", "one-line", "split-spaces"],
)
def test_extra_white_space_is_accepted(token, keys, layout):
    assert status(layout(armour(token).splitlines()), keys) is Status.VALID


def test_rewrapped_at_another_width_is_accepted(token, keys):
    body = "\n".join(token[i : i + 76] for i in range(0, len(token), 76))
    text = f"-----BEGIN ENTITLE LICENCE-----\n{body}\n-----END ENTITLE LICENCE-----\n"
    assert status(text, keys) is Status.VALID


def test_padding_is_refused(signer, keys):
    header, payload, signature = signer.token(licence_claims(product="pcnsx")).split(".")
    assert len(payload) % 4 and len(signature) % 4
    assert status(f"{header}.{payload}.{signature}", keys) is Status.VALID
    assert status(f"{header}.{payload}.{signature}==", keys) is Status.INVALID_SIGNATURE
    padded = payload + "=" * (-len(payload) % 4)
    assert status(f"{header}.{padded}.{signature}", keys) is Status.INVALID_SIGNATURE


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none"},
        {"alg": "HS256"},
        {"alg": "eddsa"},
        {"alg": "Ed25519"},
        {"alg": None},
        {"kid": "unknown-kid"},
        {"kid": None},
        {"kid": 1},
        {"kid": ["2026-11-23-7f4a"]},
        {"typ": "JWT"},
        {"typ": VALIDATION_TYP},
        {"typ": None},
        {"crit": ["exp"]},
    ],
    ids=repr,
)
def test_wrong_header_fields(signer, keys, header):
    protected = {"alg": "EdDSA", "kid": signer.kid, "typ": "entitle-licence+jwt", **header}
    protected = {name: value for name, value in protected.items() if value is not None}
    text = armour(signer.sign(json_bytes(protected), json_bytes(licence_claims())))
    assert status(text, keys) is Status.INVALID_SIGNATURE


def test_alg_none_with_empty_signature(signer, keys):
    header = b64(json_bytes({"alg": "none", "kid": signer.kid, "typ": "entitle-licence+jwt"}))
    payload = b64(json_bytes(licence_claims()))
    assert status(f"{header}.{payload}.", keys) is Status.INVALID_SIGNATURE


def test_a_jwks_with_a_different_key(signer, token):
    stranger = Signer("another")
    assert status(token, KeySet.from_jwks({"keys": [stranger.jwk()]})) is (Status.INVALID_SIGNATURE)
    assert status(token, KeySet({})) is Status.INVALID_SIGNATURE


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (b"[]", b"{}"),
        (b"not json", b"{}"),
        (b"\xff\xfe{}", b"{}"),
        (b"[" * 100_000, b"{}"),
        (None, b"[]"),
        (None, b"not json"),
        (None, b"\xff"),
        (None, b"{" * 100_000),
        (None, b""),
        (None, b'"a string"'),
    ],
    ids=lambda value: repr(value)[:20],
)
def test_malformed_json(signer, keys, header, payload):
    token = signer.sign(header or signer.header(), payload)
    assert status(armour(token), keys) is Status.INVALID_SIGNATURE


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n ",
        ".",
        "..",
        "...",
        "a.b",
        "a.b.c.d",
        "-----BEGIN ENTITLE LICENCE-----\n-----END ENTITLE LICENCE-----",
        "-----BEGIN ENTITLE LICENCE----------END ENTITLE LICENCE-----",
        "é.é.é",
        "\x00" * 10,
        "A" * 100_000,
        "A.B." + "C" * 100_000,
    ],
    ids=lambda value: repr(value)[:20],
)
def test_garbage(keys, text):
    assert status(text, keys) is Status.INVALID_SIGNATURE
    assert status(text.encode("utf-8"), keys) is Status.INVALID_SIGNATURE


def test_typed_errors(signer, keys, token):
    assert unarmour(armour(token)) == token
    with pytest.raises(MalformedJWS):
        unarmour("-----BEGIN ENTITLE LICENCE-----\n" + token)
    with pytest.raises(MalformedJWS):
        verify(token + "=", keys, typ="entitle-licence+jwt")
    with pytest.raises(MalformedJWS):
        verify(token, keys, typ=VALIDATION_TYP)
    with pytest.raises(BadSignature):
        verify(token, KeySet({}), typ="entitle-licence+jwt")
    verified = verify(token, keys, typ="entitle-licence+jwt")
    assert verified.header == {"alg": "EdDSA", "kid": signer.kid, "typ": "entitle-licence+jwt"}
    assert verified.claims == licence_claims()


def test_callers_get_their_own_copies(signer, keys, token):
    first = verify(token, keys, typ="entitle-licence+jwt")
    first.claims["serial"] = 99
    first.header["kid"] = "changed"
    again = verify(token, keys, typ="entitle-licence+jwt")
    assert again.claims["serial"] == 1 and again.header["kid"] == signer.kid


def test_a_decoded_part_is_reused_only_with_its_signature(signer, keys, token):
    header, payload, _ = token.split(".")
    verify(token, keys, typ="entitle-licence+jwt")
    other_signature = Signer(signer.kid).token(licence_claims()).split(".")[2]
    with pytest.raises(BadSignature):
        verify(f"{header}.{payload}.{other_signature}", keys, typ="entitle-licence+jwt")
