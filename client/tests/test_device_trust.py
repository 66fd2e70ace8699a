"""Identifiers, not-yet-valid, leases, clock rollback and air-gapped files (issue: device trust)."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from entitle_client import (
    LicenceRejected,
    LicenceStore,
    NoLicence,
    Status,
    normalize_activation_id,
    normalize_host_id,
    verify_licence,
)
from entitle_client.airgap import read_activation_request, read_deactivation_proof
from entitle_client.cli import status_line
from entitle_client.jws import JWSError, armour, b64url_decode, b64url_encode, unarmour
from factory import ACTIVATION_ID, HOST_ID, Signer

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("7KQ2M-XH4PA-9RTCW-EN3BZ", "7KQ2M-XH4PA-9RTCW-EN3BZ"),
        (" 7kq2m xh4pa-9rtcw en3bz\n", "7KQ2M-XH4PA-9RTCW-EN3BZ"),
        ("7kq2mxh4pa9rtcwen3bz", "7KQ2M-XH4PA-9RTCW-EN3BZ"),
        ("7KQ2M--XH4PA\t9RTCW-EN3BY", "7KQ2M-XH4PA-9RTCW-EN3BY"),
        ("abc", "ABC"),
        ("", ""),
    ],
)
def test_activation_ids_are_normalised(typed, normal):
    assert normalize_activation_id(typed) == normal


@pytest.mark.parametrize(
    ("typed", "normal"),
    [("node-1a", "NODE-1A"), ("  Node-1A\n", "NODE-1A"), ("HOST 9", "HOST 9")],
)
def test_host_ids_are_normalised(typed, normal):
    assert normalize_host_id(typed) == normal


def check(text: str, keys, day: date, **kwargs: Any):
    return verify_licence(text, keys=keys, host_id=HOST_ID, today=day, now=NOW, **kwargs)


def test_host_ids_differing_only_in_case_are_the_same_device(signer, keys):
    text = signer.licence(host_id=HOST_ID.upper())
    assert check(text, keys, TODAY).status is Status.VALID
    assert verify_licence(text, keys=keys, host_id=f" {HOST_ID} ", now=NOW).may_run


@pytest.mark.parametrize(
    ("day", "status", "days_left"),
    [
        (date(2025, 12, 31), Status.NOT_YET_VALID, None),
        (date(2026, 1, 1), Status.VALID, 365),
    ],
)
def test_not_yet_valid_before_the_start(signer, keys, day, status, days_left):
    result = check(signer.licence(start="2026-01-01", end="2027-01-01"), keys, day)
    assert (result.status, result.days_left) == (status, days_left)
    assert result.may_run is (status is Status.VALID)
    if status is Status.NOT_YET_VALID:
        assert "starts on 2026-01-01" in result.message


LEASED = {"end": "2027-01-01", "grace_days": 10, "lease_until": "2026-07-01"}


@pytest.mark.parametrize(
    ("day", "status", "days_left"),
    [
        (date(2026, 6, 30), Status.VALID, 185),
        (date(2026, 7, 1), Status.LEASE_GRACE, 10),
        (date(2026, 7, 10), Status.LEASE_GRACE, 1),
        (date(2026, 7, 11), Status.LEASE_EXPIRED, 0),
        (date(2027, 1, 11), Status.EXPIRED, 0),
    ],
)
def test_a_file_stops_at_its_lease_end_plus_grace(signer, keys, day, status, days_left):
    result = check(signer.licence(**LEASED), keys, day)
    assert (result.status, result.days_left) == (status, days_left)
    assert result.may_run is (status in (Status.VALID, Status.LEASE_GRACE))
    if status is Status.LEASE_EXPIRED:
        assert "connect to the licence server" in result.message


def test_a_lease_past_the_end_counts_down_the_licence_grace(signer, keys):
    text = signer.licence(end="2026-07-01", grace_days=10, lease_until="2026-07-05")
    result = check(text, keys, date(2026, 7, 6))
    assert (result.status, result.days_left) == (Status.LEASE_GRACE, 5)


@pytest.mark.parametrize("lease", [None, "absent"])
def test_no_lease_is_good_to_the_end(signer, keys, lease):
    claims = {} if lease == "absent" else {"lease_until": None}
    result = check(signer.licence(**claims), keys, date(2026, 12, 1))
    assert result.status is Status.VALID


@pytest.mark.parametrize(
    "overrides", [{"lease_until": 20260701}, {"lease_until": "2026-7-1"}, {"request_nonce": 5}]
)
def test_ill_formed_optional_claims_are_invalid(signer, keys, overrides):
    assert check(signer.licence(**overrides), keys, TODAY).status is Status.INVALID_SIGNATURE


def test_a_trusted_time_ahead_of_the_clock_means_a_rolled_back_clock(signer, keys):
    text = signer.licence()
    ahead = int((NOW + timedelta(days=2)).timestamp())
    result = check(text, keys, TODAY, trusted_time=ahead)
    assert (result.status, result.may_run) == (Status.CLOCK_TAMPERED, False)
    assert check(text, keys, TODAY, trusted_time=int(NOW.timestamp()) + 300).may_run


def test_status_lines_of_the_new_statuses(signer, keys):
    lease = check(signer.licence(**LEASED), keys, date(2026, 7, 2))
    assert status_line(lease) == "lease_grace: 9 days left — connect to the licence server"
    early = check(signer.licence(), keys, date(2025, 1, 1))
    assert status_line(early) == "not_yet_valid: cannot run"


# --- The store: trusted time, air-gapped request and response, deactivation proof. ---


@pytest.fixture
def store(tmp_path, keys):
    return LicenceStore(tmp_path / "licence.lic", keys=keys, host_id=HOST_ID)


def test_the_store_detects_a_clock_rolled_back_behind_an_installed_file(store, signer):
    store.install(signer.licence(iat=int(NOW.timestamp())), now=NOW)
    assert store.current(now=NOW).may_run
    rolled_back = NOW - timedelta(days=30)
    result = store.current(now=rolled_back, today=rolled_back.date())
    assert result.status is Status.CLOCK_TAMPERED
    assert store.clock_tampered(rolled_back) and not store.clock_tampered(NOW)


def test_a_file_from_the_future_marks_the_clock_until_it_catches_up(store, signer):
    store.install(signer.licence(serial=1, iat=int(NOW.timestamp()) - 60), now=NOW)
    future = int((NOW + timedelta(hours=2)).timestamp())
    with pytest.raises(LicenceRejected) as refused:
        store.install(signer.licence(serial=2, iat=future), now=NOW)
    assert refused.value.check.status is Status.CLOCK_TAMPERED
    assert store.current(now=NOW).status is Status.CLOCK_TAMPERED  # the older file too
    later = NOW + timedelta(hours=3)
    assert store.current(now=later, today=later.date()).status is Status.VALID


def test_the_installation_key_is_made_once_and_private(store):
    first = store.installation_id()
    assert store.installation_id() == first
    assert oct(store.key_path.stat().st_mode & 0o777) == oct(0o600)


def test_an_activation_request_is_signed_by_the_installation(store):
    text = store.request_activation(
        " 7kq2m-xh4pa-9rtcw-en3bz ", product_version="4.5.0", device_name="rack 3"
    )
    assert text.startswith("-----BEGIN ENTITLE ACTIVATION REQUEST-----\n")
    claims = read_activation_request(text)
    assert claims["activation_id"] == ACTIVATION_ID
    assert claims["host_id"] == HOST_ID.upper()
    assert claims["installation_key"] == store.installation_id()
    assert (claims["product_version"], claims["device_name"]) == ("4.5.0", "rack 3")
    assert len(claims["nonce"]) >= 16


def test_a_tampered_request_does_not_verify(store):
    text = store.request_activation(ACTIVATION_ID, product_version="1")
    header, payload, signature = unarmour(text, "ENTITLE ACTIVATION REQUEST").split(".")
    forged = json.loads(b64url_decode(payload))
    forged["host_id"] = "ANOTHER"
    token = f"{header}.{b64url_encode(json.dumps(forged).encode())}.{signature}"
    with pytest.raises(JWSError):
        read_activation_request(armour(token, "ENTITLE ACTIVATION REQUEST"))
    with pytest.raises(JWSError):
        read_deactivation_proof(text)  # a request is not a proof


def response(signer: Signer, store: LicenceStore, nonce: str, **claims: Any) -> str:
    return signer.licence(
        host_id=HOST_ID.upper(),
        request_nonce=nonce,
        installation_key=store.installation_id(),
        lease_until=None,
        **claims,
    )


def test_the_response_to_a_pending_request_installs_once(store, signer):
    nonce = read_activation_request(store.request_activation(ACTIVATION_ID, product_version="1"))[
        "nonce"
    ]
    text = response(signer, store, nonce, serial=4)
    assert store.install(text, now=NOW).status is Status.VALID
    with pytest.raises(LicenceRejected, match="pending activation request"):
        store.install(text, now=NOW)  # replayed
    assert store.current(now=NOW).claims["serial"] == 4


@pytest.mark.parametrize("foreign", ["nonce", "installation", "host"])
def test_a_foreign_response_is_refused(store, signer, foreign, tmp_path, keys):
    nonce = read_activation_request(store.request_activation(ACTIVATION_ID, product_version="1"))[
        "nonce"
    ]
    other = LicenceStore(tmp_path / "other" / "licence.lic", keys=keys, host_id=HOST_ID)
    other.path.parent.mkdir()
    text = {
        "nonce": lambda: response(signer, store, "not-a-nonce-of-ours"),
        "installation": lambda: response(signer, other, nonce),
        "host": lambda: signer.licence(
            host_id="ANOTHER", request_nonce=nonce, installation_key=store.installation_id()
        ),
    }[foreign]()
    with pytest.raises(LicenceRejected):
        store.install(text, now=NOW)
    assert not store.path.exists()


def test_offline_deactivation_removes_the_file_and_proves_it(store, signer):
    store.install(signer.licence(serial=6), now=NOW)
    proof = store.deactivate_offline()
    assert not store.path.exists()
    claims = read_deactivation_proof(proof)
    assert (claims["activation_id"], claims["host_id"], claims["serial"]) == (
        ACTIVATION_ID,
        HOST_ID.upper(),
        6,
    )
    assert claims["installation_key"] == store.installation_id()
    with pytest.raises(NoLicence):
        store.deactivate_offline()


def test_a_proof_signed_by_another_key_does_not_verify(store, signer, tmp_path, keys):
    store.install(signer.licence(serial=6), now=NOW)
    proof = unarmour(store.deactivate_offline(), "ENTITLE DEACTIVATION PROOF")
    other = LicenceStore(tmp_path / "o.lic", keys=keys, host_id=HOST_ID)
    header, payload, _ = proof.split(".")
    forged_signature = b64url_encode(other.installation_key().sign(f"{header}.{payload}".encode()))
    with pytest.raises(JWSError):
        read_deactivation_proof(f"{header}.{payload}.{forged_signature}")
