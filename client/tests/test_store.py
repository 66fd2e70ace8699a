import json
import os
from datetime import UTC, date, datetime, timedelta

import pytest
from entitle_client import (
    KeySet,
    KeySetError,
    LicenceRejected,
    LicenceStore,
    Status,
    SupersededLicence,
)
from entitle_client.jws import unarmour
from factory import HOST_ID, Signer, jwks

TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path, keys):
    return LicenceStore(tmp_path / "licence.lic", keys=keys, host_id=HOST_ID)


def install(store: LicenceStore, text: str):
    return store.install(text, today=TODAY, now=NOW)


def test_nothing_installed(store):
    assert store.current() is None


def test_install_writes_the_armoured_file(store, signer):
    text = "\n\n  " + signer.licence(serial=3).replace("\n", "\r\n") + "  \n"
    check = install(store, text)
    assert check.status is Status.VALID and check.claims["serial"] == 3
    stored = store.path.read_text()
    assert stored.startswith("-----BEGIN ENTITLE LICENCE-----\n")
    assert stored.endswith("\n-----END ENTITLE LICENCE-----\n")
    assert all(len(line) <= 64 for line in stored.splitlines())
    assert unarmour(stored) == unarmour(text)
    assert store.current(today=TODAY, now=NOW) == check
    assert oct(store.path.stat().st_mode & 0o777) == oct(0o644)


def test_installing_an_expired_file_is_accepted(store, signer):
    assert install(store, signer.licence(end="2026-01-02", grace_days=0)).status is Status.EXPIRED


def test_an_older_serial_is_refused_and_the_file_untouched(store, signer):
    install(store, signer.licence(serial=5))
    before = store.path.read_bytes()
    with pytest.raises(SupersededLicence) as refused:
        install(store, signer.licence(serial=4, end="2030-01-01"))
    assert (refused.value.serial, refused.value.installed_serial) == (4, 5)
    assert refused.value.check.status is Status.VALID
    assert isinstance(refused.value, LicenceRejected)
    assert "older" in str(refused.value)
    assert store.path.read_bytes() == before


def test_the_same_or_a_newer_serial_is_accepted(store, signer):
    install(store, signer.licence(serial=5))
    assert install(store, signer.licence(serial=5)).claims["serial"] == 5
    assert install(store, signer.licence(serial=6, end="2028-01-01")).claims["serial"] == 6
    assert store.current(today=TODAY, now=NOW).claims["end"] == "2028-01-01"


def test_another_activation_is_accepted_whatever_its_serial(store, signer):
    install(store, signer.licence(serial=9))
    check = install(store, signer.licence(serial=1, activation_id="NEW00-SUBSC-RIPTI-ON000"))
    assert check.claims["activation_id"] == "NEW00-SUBSC-RIPTI-ON000"
    assert store.current(today=TODAY, now=NOW).claims["serial"] == 1


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda s: s.licence(host_id="another-host", serial=9), Status.WRONG_DEVICE),
        (
            lambda s: s.licence(iat=int((NOW + timedelta(minutes=6)).timestamp()), serial=9),
            Status.CLOCK_TAMPERED,
        ),
        (lambda s: Signer(s.kid).licence(serial=9), Status.INVALID_SIGNATURE),
        (lambda s: "garbage", Status.INVALID_SIGNATURE),
    ],
    ids=["wrong-host", "future", "forged", "garbage"],
)
def test_rejected_files_leave_the_stored_file_untouched(store, signer, make, status):
    install(store, signer.licence(serial=2))
    before = store.path.read_bytes()
    with pytest.raises(LicenceRejected) as refused:
        install(store, make(signer))
    assert refused.value.check.status is status
    assert not isinstance(refused.value, SupersededLicence)
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "licence.lic",
        "licence.lic.state",
    ]


def test_a_rejected_first_file_installs_nothing(store, signer):
    with pytest.raises(LicenceRejected):
        install(store, signer.licence(host_id="another-host"))
    assert not store.path.exists()


def test_an_unverifiable_installed_file_can_be_replaced(store, signer):
    store.path.write_text("corrupted")
    assert store.current().status is Status.INVALID_SIGNATURE
    assert install(store, signer.licence(serial=1)).status is Status.VALID


def test_the_write_is_atomic(store, signer, monkeypatch):
    install(store, signer.licence(serial=1))
    before = store.path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        install(store, signer.licence(serial=2))
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "licence.lic",
        "licence.lic.state",
    ]


def test_replace_keys_rotates_and_is_stored_beside_the_licence(store, signer, keys):
    new = Signer("2027-01-01-new")
    install(store, signer.licence(serial=1))
    rotated = store.replace_keys(json.dumps(jwks(signer, new)))
    assert sorted(rotated) == sorted([signer.kid, new.kid])
    assert store.keys_path == store.path.with_name("licence.lic.jwks")
    assert KeySet.load(store.keys_path) == rotated
    assert install(store, new.licence(serial=2)).status is Status.VALID
    reopened = LicenceStore(store.path, keys=keys, host_id=HOST_ID)
    assert reopened.keys == rotated
    assert reopened.current(today=TODAY, now=NOW).claims["serial"] == 2


def test_replace_keys_refuses_bad_sets_and_keeps_the_old_one(store, signer, keys):
    with pytest.raises(KeySetError):
        store.replace_keys({"keys": []})
    with pytest.raises(KeySetError):
        store.replace_keys("not json")
    with pytest.raises(KeySetError, match="already names another key"):
        store.replace_keys(jwks(Signer(signer.kid)))
    assert not store.keys_path.exists()
    assert store.keys == keys


def test_an_unreadable_stored_key_set_falls_back_to_the_products_keys(tmp_path, keys):
    (tmp_path / "licence.lic.jwks").write_text("damaged")
    assert LicenceStore(tmp_path / "licence.lic", keys=keys, host_id=HOST_ID).keys == keys
