import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt
import pytest
import time_machine
from django.db import connection
from entitle_client import jws

from conftest import actor_of
from entitle.licensing import errors, signing
from entitle.licensing.models import Binding, LicenceFile, SigningKey
from entitle.licensing.selectors import licence_file_latest
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create, licence_increase, licence_renew
from entitle.locker.errors import InsufficientCredits
from entitle.locker.models import LedgerEntry, Locker


def token_of(file: LicenceFile) -> str:
    return "".join(line for line in file.text.splitlines() if not line.startswith("-----"))


def verify_with_pyjwt(file_text_token: str) -> dict:
    """An independent check: a standard JOSE library, given only the published JWKS."""
    keys = jwt.PyJWKSet.from_dict(json.loads(json.dumps(signing.jwks())))
    kid = jwt.get_unverified_header(file_text_token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    return jwt.decode(file_text_token, key, algorithms=["EdDSA"], options={"verify_iat": False})


@pytest.fixture
def dce_licence(owner_credits, skus):
    return licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=10, terms=1, idempotency_key="dce"
    ).licence


@pytest.fixture
def dce_device(owner_credits, skus):
    return device_register(
        actor=owner_credits,
        product=skus["DCE-1Y"].product,
        name="DCE server",
        host_id="00:1A:2B:3C:4D:5E",
        location="London, rack 4",
    )


def test_add_license_issues_a_signed_file_that_a_jose_library_accepts(
    owner_credits, dce_licence, dce_device
):
    file = licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    claims = verify_with_pyjwt(token_of(file))
    assert claims["activation_id"] == dce_licence.activation_id
    assert claims["host_id"] == "00:1A:2B:3C:4D:5E"
    assert (claims["product"], claims["sku"], claims["quantity"]) == ("dce", "DCE-1Y", 10)
    assert (claims["start"], claims["end"]) == (
        dce_licence.start_date.isoformat(),
        dce_licence.end_date.isoformat(),
    )
    assert (claims["grace_days"], claims["warn_days"], claims["serial"]) == (0, 30, 1)
    assert jwt.get_unverified_header(token_of(file))["alg"] == "EdDSA"


def test_one_licence_per_device(owner_credits, skus, dce_licence, dce_device):
    other = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="other"
    ).licence
    licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    with pytest.raises(errors.AssignmentRefused, match="only one license"):
        licence_assign(
            actor=owner_credits,
            activation_id=other.activation_id,
            device_public_id=dce_device.public_id,
        )


def test_after_an_increase_add_license_applies_the_new_quantity_and_supersedes_the_file(
    owner_credits, dce_licence, dce_device
):
    first = licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    licence_increase(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        quantity=15,
        idempotency_key="i",
    )
    binding = Binding.objects.get()
    assert (binding.applied_quantity, binding.licence.quantity) == (10, 15)
    second = licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    assert second.serial > first.serial
    latest = licence_file_latest(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    assert latest == second
    assert verify_with_pyjwt(token_of(latest))["quantity"] == 15


def test_renewal_reissues_the_file_with_the_new_end(owner_credits, dce_licence, dce_device):
    licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    licence_renew(
        actor=owner_credits, activation_id=dce_licence.activation_id, terms=1, idempotency_key="r"
    )
    latest = licence_file_latest(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    assert latest.serial == 2
    assert (
        verify_with_pyjwt(token_of(latest))["end"]
        == (dce_licence.end_date + timedelta(days=365)).isoformat()
    )


def test_rotation_keeps_old_files_valid_and_signs_new_ones_with_the_new_key(
    owner_credits, channel, dce_licence, dce_device
):
    old = licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    new_key = signing.rotate_keys(actor=channel.staff)
    licence_renew(
        actor=owner_credits, activation_id=dce_licence.activation_id, terms=1, idempotency_key="r"
    )
    new = licence_file_latest(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    assert (old.kid != new.kid, new.kid) == (True, new_key.kid)
    assert verify_with_pyjwt(token_of(old))["serial"] == 1
    assert verify_with_pyjwt(token_of(new))["serial"] == 2
    assert {k["kid"] for k in signing.jwks()["keys"]} == {old.kid, new.kid}


def test_signing_keys_are_encrypted_at_rest(dce_licence, dce_device, owner_credits):
    licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    key = SigningKey.objects.get()
    raw = signing._load(key).private.private_bytes_raw()
    assert (
        raw.hex() not in key.private_key_encrypted
        and jws.b64url_encode(raw) not in key.private_key_encrypted
    )


def test_only_the_owner_downloads(owner_credits, channel, dce_licence, dce_device):
    from entitle.core.errors import NotFound

    licence_assign(
        actor=owner_credits,
        activation_id=dce_licence.activation_id,
        device_public_id=dce_device.public_id,
    )
    for role in ["purchasing", "reseller", "installer", "unrelated"]:
        with pytest.raises(NotFound):
            licence_file_latest(
                actor=actor_of(channel.users[role]),
                activation_id=dce_licence.activation_id,
                device_public_id=dce_device.public_id,
            )


def test_device_host_ids_are_unique_per_owner_and_product(owner_credits, skus, dce_device):
    with pytest.raises(errors.DeviceExists):
        device_register(
            actor=owner_credits,
            product=skus["DCE-1Y"].product,
            name="Again",
            host_id="00:1A:2B:3C:4D:5E",
        )
    with pytest.raises(errors.DeviceInvalid):
        device_register(actor=owner_credits, product=skus["DCE-1Y"].product, name="", host_id="x")


@pytest.mark.django_db(transaction=True)
def test_32_concurrent_consumptions_never_overspend(on_postgres, owner_credits, skus):
    # 25 credits of DCE-1Y; 32 requests of 2 credits each: exactly 12 can succeed.
    barrier = threading.Barrier(32)
    outcomes: list[str] = []

    def consume(n: int) -> None:
        try:
            barrier.wait()
            licence_create(
                actor=owner_credits,
                sku=skus["DCE-1Y"],
                quantity=2,
                terms=1,
                idempotency_key=f"k{n}",
            )
            outcomes.append("ok")
        except InsufficientCredits:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=consume, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (outcomes.count("ok"), outcomes.count("refused")) == (12, 20)
    locker = Locker.objects.get(company=owner_credits.company, sku=skus["DCE-1Y"])
    entries = LedgerEntry.objects.filter(locker=locker)
    assert locker.balance == sum((e.amount for e in entries), Decimal(0)) == Decimal("1.00")


def test_licence_status_follows_the_clock(owner_credits, skus):
    from entitle.licensing.selectors import licence_status

    licence = licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=1, terms=1, idempotency_key="p"
    ).licence
    end = licence.end_date
    moments = {
        end - timedelta(days=31): "active",
        end - timedelta(days=30): "expiring",
        end: "grace",
        end + timedelta(days=59): "grace",
        end + timedelta(days=60): "expired",
    }
    for day, status in moments.items():
        with time_machine.travel(
            datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False
        ):
            assert licence_status(licence).status == status, day


def test_keys_command_rotates_and_lists(db, vendor_staff):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("keys", "rotate", "--as", vendor_staff.email, stdout=out)
    call_command("keys", "rotate", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("New current key:")
    assert sum("current" in line and "retired" not in line for line in lines[-2:]) == 1
    assert SigningKey.objects.count() == 2
