from datetime import UTC, date, datetime, timedelta

import pytest
from entitle_client import KeySet, LicenceCheck, Status, verify_licence
from factory import HOST_ID, VALIDATION_TYP, Signer, armour, json_bytes, jwks, licence_claims

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
END = date(2027, 1, 1)


def check(text: str | bytes, keys: KeySet, today: date, **kwargs) -> LicenceCheck:
    return verify_licence(text, keys=keys, host_id=HOST_ID, today=today, now=NOW, **kwargs)


@pytest.mark.parametrize(
    ("offset", "status", "days_left"),
    [
        (-365, Status.VALID, 365),
        (-31, Status.VALID, 31),  # warn_days + 1
        (-30, Status.EXPIRING, 30),  # warn_days
        (-1, Status.EXPIRING, 1),
        (0, Status.GRACE, 30),  # the end date itself is not covered
        (29, Status.GRACE, 1),  # last day of grace
        (30, Status.EXPIRED, 0),  # first day after grace
        (400, Status.EXPIRED, 0),
    ],
)
def test_status_around_every_boundary(signer, keys, offset, status, days_left):
    result = check(signer.licence(), keys, END + timedelta(days=offset))
    assert (result.status, result.days_left) == (status, days_left)
    assert result.may_run is (status in {Status.VALID, Status.EXPIRING, Status.GRACE})
    assert result.claims == licence_claims()


@pytest.mark.parametrize(
    ("offset", "status", "days_left"),
    [
        (-31, Status.VALID, 31),
        (-30, Status.EXPIRING, 30),
        (-1, Status.EXPIRING, 1),
        (0, Status.EXPIRED, 0),
        (1, Status.EXPIRED, 0),
    ],
)
def test_without_grace_expiring_goes_straight_to_expired(signer, keys, offset, status, days_left):
    result = check(signer.licence(grace_days=0), keys, END + timedelta(days=offset))
    assert (result.status, result.days_left, result.may_run) == (
        status,
        days_left,
        status is not Status.EXPIRED,
    )


def test_without_warning_the_last_day_is_valid(signer, keys):
    text = signer.licence(warn_days=0)
    assert check(text, keys, END - timedelta(days=1)).status is Status.VALID
    assert check(text, keys, END).status is Status.GRACE


@pytest.mark.parametrize(
    ("claims", "today", "status", "days_left"),
    [
        ({"end": "2028-03-01"}, date(2028, 2, 29), Status.EXPIRING, 1),
        ({"end": "2028-03-01"}, date(2028, 2, 1), Status.EXPIRING, 29),
        ({"end": "2028-03-01", "warn_days": 0}, date(2027, 3, 1), Status.VALID, 366),
        ({"end": "2028-02-28", "grace_days": 2}, date(2028, 2, 28), Status.GRACE, 2),
        ({"end": "2028-02-28", "grace_days": 2}, date(2028, 2, 29), Status.GRACE, 1),
        ({"end": "2028-02-28", "grace_days": 2}, date(2028, 3, 1), Status.EXPIRED, 0),
        ({"end": "2028-02-29", "grace_days": 0}, date(2028, 2, 28), Status.EXPIRING, 1),
        ({"end": "2028-02-29", "grace_days": 0}, date(2028, 2, 29), Status.EXPIRED, 0),
    ],
)
def test_leap_years(signer, keys, claims, today, status, days_left):
    result = check(signer.licence(**claims), keys, today)
    assert (result.status, result.days_left) == (status, days_left)


def test_messages(signer, keys):
    assert check(signer.licence(), keys, date(2026, 6, 1)).message == (
        "Licence valid: 214 days left (expires on 2027-01-01)."
    )
    assert "1 day left" in check(signer.licence(), keys, END - timedelta(days=1)).message
    grace = check(signer.licence(), keys, END + timedelta(days=29)).message
    assert grace == (
        "Licence expired on 2027-01-01: grace period, 1 day left (grace ends on 2027-01-31). "
        "Renew the licence now."
    )
    assert check(signer.licence(), keys, date(2027, 2, 1)).message == (
        "Licence expired on 2027-01-01 (grace ended 2027-01-31). "
        "Renew the licence: the protected function is disabled."
    )
    assert check(signer.licence(grace_days=0), keys, END).message == (
        "Licence expired on 2027-01-01. Renew the licence: the protected function is disabled."
    )


def test_today_defaults_to_the_local_date_at_now(signer, keys):
    now = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
    result = verify_licence(signer.licence(), keys=keys, host_id=HOST_ID, now=now)
    assert result.days_left == (END - now.astimezone().date()).days


def test_defaults_use_the_clock(signer, keys):
    result = verify_licence(signer.licence(end="9999-01-01"), keys=keys, host_id=HOST_ID)
    assert result.status is Status.VALID
    assert result.days_left == (date(9999, 1, 1) - date.today()).days


def test_accepts_bytes(signer, keys):
    assert check(signer.licence().encode(), keys, date(2026, 6, 1)).status is Status.VALID
    assert check(b"\xff\xfe", keys, date(2026, 6, 1)).status is Status.INVALID_SIGNATURE


def test_wrong_device(signer, keys):
    result = check(signer.licence(host_id="another-host"), keys, date(2026, 6, 1))
    assert (result.status, result.days_left, result.may_run) == (Status.WRONG_DEVICE, None, False)
    assert result.claims is not None and result.claims["host_id"] == "another-host"
    assert "another-host" in result.message and HOST_ID in result.message


@pytest.mark.parametrize(
    ("ahead", "status"),
    [
        (timedelta(minutes=6), Status.CLOCK_TAMPERED),
        (timedelta(minutes=5, seconds=1), Status.CLOCK_TAMPERED),
        (timedelta(minutes=5), Status.VALID),
        (timedelta(minutes=4), Status.VALID),
        (timedelta(days=-300), Status.VALID),
    ],
)
def test_clock_tampered(signer, keys, ahead, status):
    text = signer.licence(iat=int((NOW + ahead).timestamp()))
    result = check(text, keys, date(2026, 6, 1))
    assert result.status is status
    assert result.may_run is (status is Status.VALID)
    if status is Status.CLOCK_TAMPERED:
        assert result.days_left is None and result.claims is not None
        assert "check its date and time" in result.message


def test_order_of_checks(signer, keys):
    future = int((NOW + timedelta(hours=1)).timestamp())
    expired_day = date(2030, 1, 1)
    wrong_everything = signer.licence(host_id="other", iat=future)
    assert check(wrong_everything, keys, expired_day).status is Status.WRONG_DEVICE
    assert check(signer.licence(iat=future), keys, expired_day).status is Status.CLOCK_TAMPERED
    tampered = wrong_everything.replace(
        "-----BEGIN ENTITLE LICENCE-----\ney", "-----BEGIN ENTITLE LICENCE-----\neZ"
    )
    assert check(tampered, keys, expired_day).status is Status.INVALID_SIGNATURE


def test_key_rotation_files_signed_by_either_key_verify():
    old, new, stranger = Signer("2025-01-01-old"), Signer("2026-11-23-new"), Signer("2026-x")
    keys = KeySet.from_jwks(jwks(old, new))
    assert check(old.licence(), keys, date(2026, 6, 1)).status is Status.VALID
    assert check(new.licence(), keys, date(2026, 6, 1)).status is Status.VALID
    assert check(stranger.licence(), keys, date(2026, 6, 1)).status is Status.INVALID_SIGNATURE


def test_a_jwks_with_a_different_key_under_the_same_kid(signer):
    impostor = Signer(signer.kid)
    result = check(signer.licence(), KeySet.from_jwks(jwks(impostor)), date(2026, 6, 1))
    assert (result.status, result.claims, result.days_left) == (
        Status.INVALID_SIGNATURE,
        None,
        None,
    )
    assert result.message == "Licence file is not valid: the signature does not match."


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "someone-else"},
        {"quantity": "5"},
        {"serial": True},
        {"grace_days": 1.5},
        {"grace_days": -1},
        {"warn_days": -1},
        {"host_id": None},
        {"end": "2027-1-01"},
        {"end": "20270101"},
        {"end": "2027-02-29"},
        {"end": "2027-13-01"},
        {"start": "2027-01-02"},
        {"grace_days": 10**12},
        {"end": "9999-12-31", "grace_days": 1},
    ],
    ids=repr,
)
def test_ill_formed_claims_are_invalid(signer, keys, overrides):
    result = check(signer.licence(**overrides), keys, date(2026, 6, 1))
    assert (result.status, result.claims, result.may_run) == (
        Status.INVALID_SIGNATURE,
        None,
        False,
    )


@pytest.mark.parametrize("claim", sorted(licence_claims()))
def test_every_claim_is_required(signer, keys, claim):
    claims = licence_claims()
    del claims[claim]
    result = check(armour(signer.token(claims)), keys, date(2026, 6, 1))
    assert result.status is Status.INVALID_SIGNATURE
    assert repr(claim) in result.message


def test_unknown_claims_are_ignored(signer, keys):
    assert check(signer.licence(nodes=["a"]), keys, date(2026, 6, 1)).status is Status.VALID


def test_absurd_issue_times_do_not_crash(signer, keys):
    assert check(signer.licence(iat=10**400), keys, date(2026, 6, 1)).status is (
        Status.CLOCK_TAMPERED
    )
    assert check(signer.licence(iat=-(10**400)), keys, date(2026, 6, 1)).status is Status.VALID
    payload = json_bytes(licence_claims(iat=0)).replace(b'"iat":0', b'"iat":1' + b"0" * 5000)
    huge = armour(signer.sign(signer.header(), payload))
    assert check(huge, keys, date(2026, 6, 1)).status is Status.INVALID_SIGNATURE


def test_an_online_answer_is_not_a_licence(signer, keys):
    token = signer.token(licence_claims(), typ=VALIDATION_TYP)
    assert check(armour(token), keys, date(2026, 6, 1)).status is Status.INVALID_SIGNATURE


def test_check_is_frozen(signer, keys):
    result = check(signer.licence(), keys, date(2026, 6, 1))
    with pytest.raises(AttributeError):
        result.status = Status.EXPIRED  # type: ignore[misc]
