"""The product-side client (client/, no Django) against what this server really issues."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from entitle_client import KeySet, Status, verify_licence
from entitle_client.online import activate, validate

from entitle.licensing.selectors import licence_file_latest
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create, licence_renew


@pytest.fixture
def pcns_file(owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=4, terms=1, idempotency_key="c"
    ).licence
    device = device_register(
        actor=owner_credits, product=skus["PCNS-3Y"].product, name="node", host_id="NODE-1"
    )
    licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    return licence, device


def test_the_newest_file_reports_the_right_status_from_issue_to_past_grace(
    owner_credits, pcns_file
):
    licence, device = pcns_file
    licence_renew(
        actor=owner_credits, activation_id=licence.activation_id, terms=1, idempotency_key="r"
    )
    licence.refresh_from_db()
    text = licence_file_latest(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    ).text
    keys = KeySet.from_jwks(Client().get("/api/v1/keys").json())
    end = licence.end_date
    now = datetime.now(UTC)
    timeline = [
        (licence.start_date, Status.VALID, (end - licence.start_date).days),
        (end - timedelta(days=31), Status.VALID, 31),
        (end - timedelta(days=30), Status.EXPIRING, 30),
        (end - timedelta(days=1), Status.EXPIRING, 1),
        (end, Status.GRACE, 60),
        (end + timedelta(days=59), Status.GRACE, 1),
        (end + timedelta(days=60), Status.EXPIRED, 0),
    ]
    for day, status, days_left in timeline:
        check = verify_licence(text, keys=keys, host_id="NODE-1", today=day, now=now)
        assert (check.status, check.days_left) == (status, days_left), day
        assert check.may_run is (status != Status.EXPIRED)
        assert check.claims["serial"] == 2
    assert verify_licence(text, keys=keys, host_id="OTHER", now=now).status == Status.WRONG_DEVICE


@pytest.mark.django_db(transaction=True)
def test_online_activate_and_validate_with_the_client(live_server, owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="o"
    ).licence
    from entitle_client.online import fetch_keys

    keys = fetch_keys(live_server.url)
    activated = activate(
        live_server.url, activation_id=licence.activation_id, host_id="HOST-9", keys=keys
    )
    assert (activated.valid, activated.code) == (True, "VALID")
    check = verify_licence(activated.licence, keys=keys, host_id="HOST-9")
    assert check.status == Status.VALID
    answer = validate(
        live_server.url, activation_id=licence.activation_id, host_id="HOST-9", keys=keys
    )
    assert (answer.valid, answer.code, answer.end) == (True, "VALID", licence.end_date)
    elsewhere = validate(
        live_server.url, activation_id=licence.activation_id, host_id="HOST-X", keys=keys
    )
    assert (elsewhere.valid, elsewhere.code) == (False, "HOST_MISMATCH")
