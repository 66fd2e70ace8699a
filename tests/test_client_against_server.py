"""The product-side client (client/, no Django) against what this server really issues."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from entitle_client import KeySet, LicenceStore, Status, fetch_keys, verify_licence
from entitle_client.online import activate, validate

from entitle.licensing.selectors import licence_status
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create
from entitle.licensing.services.product import ProductRequest, product_validate

# The server's licence status and the client's status of the file it holds, by name.
CLIENT_STATUS = {
    "not yet valid": Status.NOT_YET_VALID,
    "active": Status.VALID,
    "expiring": Status.EXPIRING,
    "grace": Status.GRACE,
    "expired": Status.EXPIRED,
}
CODE = {
    "not yet valid": "NOT_YET_VALID",
    "active": "VALID",
    "expiring": "EXPIRING",
    "grace": "GRACE",
    "expired": "EXPIRED",
}


def test_server_and_client_agree_on_every_boundary_day(owner_credits, skus, tmp_path):
    """PowerChute (warn 30, grace 60, lease 30) starting in ten days: the server's status, the
    validate code and the client's status of the file it holds, on start − 1, start, end − warn
    (and the day before), end (and the day before) and end + grace (and the day before). The
    product validates each day it runs, as a product does, installing the files it gets."""
    start = timezone.localdate() + timedelta(days=10)
    licence = licence_create(
        actor=owner_credits,
        sku=skus["PCNS-3Y"],
        quantity=4,
        terms=1,
        idempotency_key="c",
        start_date=start,
    ).licence
    device = device_register(
        actor=owner_credits, product=skus["PCNS-3Y"].product, name="node", host_id="node-1"
    )
    first = licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    keys = KeySet.from_jwks(Client().get("/api/v1/keys").json())
    store = LicenceStore(tmp_path / "licence.lic", keys=keys, host_id="Node-1")
    store.install(first.text)
    end, warn, grace = licence.end_date, 30, 60
    days = [
        (start - timedelta(days=1), "not yet valid"),
        (start, "active"),
        (end - timedelta(days=warn + 1), "active"),
        (end - timedelta(days=warn), "expiring"),
        (end - timedelta(days=1), "expiring"),
        (end, "grace"),
        (end + timedelta(days=grace - 1), "grace"),
        (end + timedelta(days=grace), "expired"),
    ]
    for day, status in days:
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        with time_machine.travel(moment, tick=False):
            assert str(licence_status(licence, on=day).status) == status, day
            held = store.current(today=day, now=moment)
            answer = product_validate(
                ProductRequest.of(
                    activation_id=licence.activation_id.lower(),
                    host_id="node-1",
                    serial=held.claims["serial"],
                )
            )
            assert answer.code == CODE[status], day
            if answer.licence:
                store.install(answer.licence, today=day, now=moment)
            check = store.current(today=day, now=moment)
        assert check.status is CLIENT_STATUS[status], (day, check.message)
        assert check.may_run is (status in ("active", "expiring", "grace")), day


@pytest.mark.django_db(transaction=True)
def test_online_activate_validate_and_deactivate_with_the_client(
    live_server, owner_credits, skus, tmp_path
):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="o"
    ).licence
    keys = fetch_keys(live_server.url)
    store = LicenceStore(tmp_path / "licence.lic", keys=keys, host_id="host-9")
    # Typed as a person would: lower case, spaces. The server normalises exactly as the client.
    activated = store.activate(
        live_server.url, " " + licence.activation_id.lower().replace("-", " ")
    )
    assert (activated.valid, activated.code) == (True, "VALID")
    check = store.current()
    assert check.status is Status.VALID and check.claims["host_id"] == "HOST-9"
    assert check.claims["lease_until"] == str(timezone.localdate() + timedelta(days=30))
    answer = store.refresh(live_server.url)
    assert (answer.valid, answer.code, answer.end) == (True, "VALID", licence.end_date)
    elsewhere = validate(
        live_server.url, activation_id=licence.activation_id, host_id="HOST-X", keys=keys
    )
    assert (elsewhere.valid, elsewhere.code) == (False, "HOST_MISMATCH")
    typo = licence.activation_id[:-1] + ("2" if licence.activation_id[-1] != "2" else "3")
    mistyped = validate(live_server.url, activation_id=typo, host_id="HOST-9", keys=keys)
    assert (mistyped.valid, mistyped.code) == (False, "NOT_FOUND")
    # The product deactivates itself with its installation's signed proof; the seat is free.
    assert store.deactivate(live_server.url).code == "DEACTIVATED"
    assert store.current() is None
    assert licence.bindings.get().end_reason == "deactivated"
    again = activate(live_server.url, activation_id=licence.activation_id, host_id="h2", keys=keys)
    assert again.code == "VALID"


def test_a_file_without_lease_verifies_to_its_end(owner_credits, skus):
    """Secure NMC is an offline product (`lease_days` 0): its files have no lease."""
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="n"
    ).licence
    licence.product.lease_days = 0
    licence.product.save(update_fields=["lease_days"])
    device = device_register(
        actor=owner_credits, product=licence.product, name="box", host_id="BOX-1"
    )
    file = licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    keys = KeySet.from_jwks(Client().get("/api/v1/keys").json())
    check = verify_licence(
        file.text, keys=keys, host_id="BOX-1", today=licence.end_date - timedelta(days=31)
    )
    assert check.claims["lease_until"] is None and check.status is Status.VALID
