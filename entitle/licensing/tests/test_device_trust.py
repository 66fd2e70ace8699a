"""Device trust (issue 11): each measured attack, reproduced, and now refused."""

import importlib
import json
import os
import subprocess
import sys
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone
from entitle_client import KeySet, LicenceRejected, LicenceStore, Status, verify_licence
from entitle_client.airgap import deactivation_proof

from conftest import actor_of
from entitle.core.errors import NotFound
from entitle.core.models import AuditEvent
from entitle.licensing import signing
from entitle.licensing.errors import RehostLimit
from entitle.licensing.models import Binding, Device, Licence, SigningKey
from entitle.licensing.services.devices import binding_deactivate, licence_rehost
from entitle.licensing.services.licences import licence_create, licence_suspend
from entitle.licensing.services.product import (
    ProductRequest,
    airgap_activate,
    airgap_deactivate,
    product_activate,
    product_deactivate,
    product_validate,
)
from entitle.orders.models import Entitlement
from entitle.sharing import services as sharing


def request(key: str, host: str, **more) -> ProductRequest:
    return ProductRequest.of(activation_id=key, host_id=host, nonce="n", **more)


def keys() -> KeySet:
    return KeySet.from_jwks(Client().get("/api/v1/keys").json())


@pytest.fixture
def dce(owner_credits, skus) -> Licence:
    """Data Center Expert: one device per licence, a 30-day lease, no grace."""
    return licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=5, terms=1, idempotency_key="dce"
    ).licence


def post(path: str, body: dict) -> dict:
    return Client().post(f"/api/v1/product/{path}", body, content_type="application/json").json()


def without_echo(token: str) -> dict:
    claims = jwt.decode(token, options={"verify_signature": False})
    return {k: v for k, v in claims.items() if k not in ("iat", "activation_id")}


# --- Licence takeover by a partner who knows the Subscription ID. ---


def test_a_subscription_id_activates_validates_and_downloads_nothing(dce, channel, token_client):
    distributor = token_client(channel.users["purchasing"])
    seen = distributor.get("/api/v1/entitlements").json()["items"]
    subscription = next(e["subscription_id"] for e in seen if e["sku"] == "DCE-1Y")
    assert subscription != dce.activation_id
    unknown = "7KQ2M-XH4PA-9RTCW-EN3BZ"
    for action in ("activate", "validate", "deactivate"):
        body = {"host_id": "NW-ROGUE-1", "device_name": "northwind-box", "nonce": "n"}
        taken = post(action, {"activation_id": subscription, **body})
        nothing = post(action, {"activation_id": unknown, **body})
        assert taken["licence"] is None
        assert without_echo(taken["token"]) == without_echo(nothing["token"])
        assert without_echo(taken["token"])["code"] == "NOT_FOUND"
    assert not Device.objects.filter(host_id="NW-ROGUE-1").exists()
    # Nor does the entitlement's page, list or licence API tell a partner the key.
    assert dce.activation_id not in json.dumps(seen)
    assert distributor.get(f"/api/v1/licences/{subscription}").status_code == 404
    assert distributor.get(f"/api/v1/licences/{dce.activation_id}").status_code == 404


def test_existing_licences_keyed_by_a_subscription_id_get_a_new_key(dce):
    entitlement = Entitlement.objects.filter(licence=dce).first()
    Licence.objects.filter(pk=dce.pk).update(activation_id=entitlement.subscription_id)
    migration = importlib.import_module("entitle.licensing.migrations.0002_device_trust")
    migration.split_identifiers(apps, None)
    dce.refresh_from_db()
    assert dce.activation_id != entitlement.subscription_id
    assert not Licence.objects.filter(
        activation_id__in=Entitlement.objects.values("subscription_id")
    ).exists()


def test_the_key_is_shown_to_the_owner_and_manage_delegates_only(
    dce, owner_credits, channel, login, token_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sharing.delegation_grant(
            actor=owner_credits,
            email="reseller@example.com",
            role="view",
            activation_id=str(dce.public_id),
        )
        sharing.delegation_grant(
            actor=owner_credits,
            email="installer@example.com",
            role="manage",
            activation_id=str(dce.public_id),
        )
    page = f"/licences/{dce.public_id}/"
    assert dce.activation_id in login(channel.users["owner"]).get(page).content.decode()
    assert dce.activation_id in login(channel.users["installer"]).get(page).content.decode()
    viewer = login(channel.users["reseller"]).get(page)
    assert viewer.status_code == 200 and dce.activation_id not in viewer.content.decode()
    listed = token_client(channel.users["reseller"]).get("/api/v1/licences").json()["items"]
    assert [item["activation_id"] for item in listed] == [None]
    staff = login(channel.users["vendor"]).get(f"/api/v1/licences/{dce.public_id}")
    assert staff.json()["activation_id"] == dce.activation_id


# --- Activation within seats; a refusal writes nothing; rate limits. ---


def test_a_refused_activation_leaves_no_device_and_no_event(dce):
    assert product_activate(request(dce.activation_id, "HOST-A")).code == "VALID"
    devices, events = Device.objects.count(), AuditEvent.objects.count()
    for host in ("spam-NMC-B", "spam-NMC-C"):
        assert product_activate(request(dce.activation_id, host)).code == "TOO_MANY_DEVICES"
    assert (Device.objects.count(), AuditEvent.objects.count()) == (devices, events)


def test_guessing_keys_from_one_address_is_limited(settings, db):
    settings.ENTITLE = {**settings.ENTITLE, "PRODUCT_RATE_ADDRESS": 3}
    answers = [
        Client(REMOTE_ADDR="198.51.100.9").post(
            "/api/v1/product/activate",
            {"activation_id": f"GUESS{n}", "host_id": "h"},
            content_type="application/json",
        )
        for n in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1]["Retry-After"] == "60"


# --- Deactivate and rehost, with the activation history. ---


def test_reactivation_after_deactivation(dce, owner_credits):
    product_activate(request(dce.activation_id, "HOST-A", address="203.0.113.5"))
    device = Device.objects.get(host_id="HOST-A")
    binding_deactivate(
        actor=owner_credits,
        activation_id=str(dce.public_id),
        device_public_id=device.public_id,
        address="203.0.113.6",
    )
    assert product_validate(request(dce.activation_id, "HOST-A")).code == "DEACTIVATED"
    assert product_activate(request(dce.activation_id, "HOST-B")).code == "VALID"
    history = AuditEvent.objects.filter(object_id=str(dce.pk), action__startswith="licence.")
    entries = {e.action: e.after or e.before for e in history}
    assert entries["licence.deactivated"]["host_id"] == "HOST-A"
    assert entries["licence.deactivated"]["address"] == "203.0.113.6"
    assert entries["licence.activated"]["device_name"] in ("HOST-A", "HOST-B")


def test_rehost_moves_the_licence_and_is_limited_per_term(dce, owner_credits):
    product_activate(request(dce.activation_id, "HOST-A"))
    host = "HOST-A"
    for n in range(dce.product.rehosts_per_term):
        device = Device.objects.get(host_id=host)
        file = licence_rehost(
            actor=owner_credits,
            activation_id=str(dce.public_id),
            device_public_id=device.public_id,
            host_id=f"host-r{n}",
        )
        host = f"HOST-R{n}"
        assert file.device.host_id == host
        assert product_validate(request(dce.activation_id, host)).code == "VALID"
    assert product_validate(request(dce.activation_id, "HOST-A")).code == "DEACTIVATED"
    with pytest.raises(RehostLimit):
        licence_rehost(
            actor=owner_credits,
            activation_id=str(dce.public_id),
            device_public_id=Device.objects.get(host_id=host).public_id,
            host_id="HOST-Z",
        )
    # A new term allows rehosting again.
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        Licence.objects.filter(pk=dce.pk).update(end_date=dce.end_date + timedelta(days=365))
        licence_rehost(
            actor=owner_credits,
            activation_id=str(dce.public_id),
            device_public_id=Device.objects.get(host_id=host).public_id,
            host_id="HOST-Z",
        )


# --- Suspension and transfer reach the devices through the lease. ---


def test_a_suspended_licence_stops_at_the_lease_end_while_offline(dce, owner_credits, channel):
    answer = product_activate(request(dce.activation_id, "HOST-A"))
    lease_until = timezone.localdate() + timedelta(days=30)
    assert answer.claims["lease_until"] == str(lease_until)
    licence_suspend(actor=channel.staff, activation_id=dce.activation_id, reason="Unpaid")
    suspended = product_validate(request(dce.activation_id, "HOST-A"))
    assert (suspended.code, suspended.licence) == ("SUSPENDED", None)
    owner = Client()
    owner.force_login(channel.users["owner"])
    device = Device.objects.get(host_id="HOST-A")
    download = owner.get(f"/devices/{device.public_id}/licences/{dce.public_id}/file/")
    assert download.status_code == 409
    # Offline, the product keeps its file: it runs to the lease's end, then stops.
    last_day = lease_until - timedelta(days=1)
    assert verify_licence(answer.licence, keys=keys(), host_id="HOST-A", today=last_day).may_run
    stopped = verify_licence(answer.licence, keys=keys(), host_id="HOST-A", today=lease_until)
    assert stopped.status is Status.LEASE_EXPIRED and not stopped.may_run


def test_a_transferred_licence_stops_on_the_old_owners_device(
    dce, owner_credits, channel, django_capture_on_commit_callbacks
):
    old_key = dce.activation_id
    answer = product_activate(request(old_key, "HOST-OLD"))
    with django_capture_on_commit_callbacks(execute=True):
        transfer = sharing.transfer_propose(
            actor=owner_credits, activation_id=str(dce.public_id), to_email="unrelated@example.com"
        )
    sharing.transfer_accept(
        actor=actor_of(channel.users["unrelated"]), public_id=transfer.public_id
    )
    dce.refresh_from_db()
    # The key the old owner knew opens nothing; the new key does not renew the old binding.
    assert product_validate(request(old_key, "HOST-OLD")).code == "NOT_FOUND"
    assert product_activate(request(old_key, "HOST-NEW")).code == "NOT_FOUND"
    assert product_validate(request(dce.activation_id, "HOST-OLD")).code == "DEACTIVATED"
    lease_until = timezone.localdate() + timedelta(days=30)
    kept = verify_licence(answer.licence, keys=keys(), host_id="HOST-OLD", today=lease_until)
    assert kept.status is Status.LEASE_EXPIRED
    # The receiving company activates its own hosts.
    assert product_activate(request(dce.activation_id, "HOST-NEW")).code == "VALID"


# --- Air-gapped activation and deactivation. ---


def test_air_gapped_round_trip_replay_and_foreign_response(dce, owner_credits, tmp_path):
    store = LicenceStore(tmp_path / "a" / "licence.lic", keys=keys(), host_id="gap-1")
    other = LicenceStore(tmp_path / "b" / "licence.lic", keys=keys(), host_id="gap-1")
    third = LicenceStore(tmp_path / "c" / "licence.lic", keys=keys(), host_id="gap-3")
    for each in (store, other, third):
        each.path.parent.mkdir()
    text = store.request_activation(
        dce.activation_id.lower(), product_version="7.1", device_name="vault"
    )
    other.request_activation(dce.activation_id, product_version="7.1")
    third_text = third.request_activation(dce.activation_id, product_version="7.1")
    answer = airgap_activate(request_text=text, actor=owner_credits, address="203.0.113.9")
    assert answer.code == "VALID"
    check = store.install(answer.licence)
    assert check.claims["lease_until"] is None and check.claims["host_id"] == "GAP-1"
    with pytest.raises(LicenceRejected):
        store.install(answer.licence)  # replayed
    with pytest.raises(LicenceRejected):
        other.install(answer.licence)  # made for another installation's request
    binding = Binding.objects.get(device__host_id="GAP-1", ended_at__isnull=True)
    assert binding.installation_key == store.installation_id()
    # Its seat is taken: the other request is refused, and without the proof nothing frees it.
    assert airgap_activate(request_text=third_text, actor=owner_credits).code == (
        "TOO_MANY_DEVICES"
    )
    assert product_deactivate(request(dce.activation_id, "GAP-1")).code == "PROOF_REQUIRED"
    # A proof made by another installation (for the same key, host and file) frees nothing.
    foreign = deactivation_proof(
        other.installation_key(),
        activation_id=dce.activation_id,
        host_id="GAP-1",
        serial=check.claims["serial"],
    )
    assert airgap_deactivate(proof_text=foreign, actor=owner_credits).code == "PROOF_REQUIRED"
    proof = store.deactivate_offline()
    assert airgap_deactivate(proof_text=proof, actor=owner_credits).code == "DEACTIVATED"
    binding.refresh_from_db()
    assert binding.end_reason == "deactivated"
    assert airgap_activate(request_text=third_text, actor=owner_credits).code == "VALID"


def test_an_air_gapped_request_for_someone_elses_licence_is_not_found(dce, channel, tmp_path):
    store = LicenceStore(tmp_path / "licence.lic", keys=keys(), host_id="gap-2")
    text = store.request_activation(dce.activation_id, product_version="1")
    stranger = actor_of(channel.users["unrelated"])
    with pytest.raises(NotFound):
        airgap_activate(request_text=text, actor=stranger)


# --- Key rotation is seen by every process at once. ---


@pytest.mark.django_db(transaction=True)
def test_a_rotation_by_another_process_is_used_on_the_next_answer(on_postgres, dce):
    before = product_validate(request(dce.activation_id, "HOST-A"))
    old_kid = jwt.get_unverified_header(before.token)["kid"]
    env = {**os.environ, "DATABASE_URL": _database_url()}
    subprocess.run(
        [sys.executable, "-m", "entitle.cli", "keys", "rotate"],
        env=env,
        check=True,
        capture_output=True,
    )
    new_kid = SigningKey.objects.get(is_current=True).kid
    assert new_kid != old_kid
    after = product_validate(request(dce.activation_id, "HOST-A"))
    assert jwt.get_unverified_header(after.token)["kid"] == new_kid
    assert signing.sign({"x": 1}, typ=signing.LICENCE_TYP).kid == new_kid


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_a_licence_that_has_not_started_says_so_everywhere(owner_credits, skus, channel, login):
    start = timezone.localdate() + timedelta(days=10)
    licence = licence_create(
        actor=owner_credits,
        sku=skus["DCE-1Y"],
        quantity=1,
        terms=1,
        idempotency_key="early",
        start_date=start,
    ).licence
    page = login(channel.users["owner"]).get("/licences/").content.decode()
    assert 'data-status="not yet valid"' in page and "Not yet valid: starts in 10 days" in page
    api = login(channel.users["owner"]).get(f"/api/v1/licences/{licence.public_id}").json()
    assert api["status"] == "not yet valid"
    refused = product_activate(request(licence.activation_id, "EARLY-1"))
    assert (refused.code, refused.licence) == ("NOT_YET_VALID", None)
    assert not Device.objects.filter(host_id="EARLY-1").exists()
