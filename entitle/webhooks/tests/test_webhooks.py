"""Webhooks end to end: real receivers on 127.0.0.1, the database task backend run by the real
worker, signatures checked with the Standard Webhooks library the documentation names."""

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from conftest import actor_of, new_partner_po, redeem_partner_po
from entitle.core.outbound import TargetRefused
from entitle.licensing.models import Device
from entitle.licensing.services.devices import (
    binding_deactivate,
    device_register,
    licence_assign,
    licence_rehost,
)
from entitle.licensing.services.licences import licence_create
from entitle.orders.services import LineInput, po_record
from entitle.renewals.tasks import sweep_now
from entitle.sharing.services import delegation_grant
from entitle.webhooks import catalogue, payloads
from entitle.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from entitle.webhooks.receiver import Receiver
from entitle.webhooks.services import endpoint_create, endpoint_update

# The changes, the tasks and the worker commit for real, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

EVERYTHING = list(catalogue.EVENT_TYPES)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def types(receiver) -> list[str]:
    return sorted(r.payload["type"] for r in receiver.received)


def record_po(channel, skus, number: str):
    c = channel.companies
    return po_record(
        actor=channel.staff,
        po_number=number,
        po_email="orders@northwind.example",
        channel="partner",
        purchasing_entity=c["purchasing"],
        owner=c["owner"],
        lines=[LineInput(skus["DCE-1Y"], 3)],
    )


def test_each_company_gets_signed_events_of_what_it_may_see_with_the_fields_it_may_see(
    channel, skus, listen, drain, django_capture_on_commit_callbacks, login
):
    users = channel.users
    _, distributor = listen(
        users["purchasing"], ["po.recorded", "po.fulfilled", "voucher.redeemed"]
    )
    _, owner = listen(users["owner"], ["voucher.redeemed", "licence.created", "device.activated"])
    _, reseller = listen(users["reseller"], EVERYTHING)
    _, stranger = listen(users["unrelated"], EVERYTHING)
    with django_capture_on_commit_callbacks(execute=True):
        po = new_partner_po(channel, skus)
        owner_actor = redeem_partner_po(po, channel)
        licence = licence_create(
            actor=owner_actor, sku=skus["DCE-1Y"], quantity=5, terms=1, idempotency_key="w1"
        ).licence
        device = device_register(
            actor=owner_actor,
            product=skus["DCE-1Y"].product,
            name="DCE server",
            host_id="HOST-WEBHOOK-1",
            location="Server room B",
        )
        licence_assign(
            actor=owner_actor,
            activation_id=licence.activation_id,
            device_public_id=device.public_id,
        )
    drain()

    assert types(distributor) == [
        "po.fulfilled",
        "po.recorded",
        "voucher.redeemed",
        "voucher.redeemed",
    ]
    assert types(owner) == [
        "device.activated",
        "licence.created",
        "voucher.redeemed",
        "voucher.redeemed",
    ]
    # Companies that may see none of these objects hear of none of them.
    assert reseller.received == [] and stranger.received == []
    for received in distributor.received + owner.received:
        assert received.verified is True
        assert received.headers["webhook-id"].startswith("msg_")
    # The distributor never learns who the owner is, nor who redeemed its vouchers.
    for received in distributor.received:
        body = received.body.decode()
        assert "Acme Data Centres" not in body and "owner@example.com" not in body
        data = received.payload["data"]
        if "purchase_order" in data:
            assert data["purchase_order"]["owner"] is None
            assert data["purchase_order"]["po_number"] == "PO-1001"
        else:
            assert data["voucher"]["redeemed_by_company"] is None
            assert data["voucher"]["redeemed_at"] is not None
    owners_vouchers = [
        r.payload["data"]["voucher"] for r in owner.received if "voucher" in r.body.decode()
    ]
    assert {v["redeemed_by_company"] for v in owners_vouchers} == {"Acme Data Centres"}
    activated = next(r.payload for r in owner.received if r.payload["type"] == "device.activated")
    assert activated["data"]["device"]["host_id"] == "HOST-WEBHOOK-1"
    assert activated["data"]["licence"]["activation_id"] == licence.activation_id

    # The delivery log, on the distributor's portal.
    endpoint = Endpoint.objects.get(company=channel.companies["purchasing"])
    page = login(users["purchasing"]).get(f"/settings/webhooks/{endpoint.public_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("HTTP 200") == 4 and "po.fulfilled" in html and "delivered" in html
    # Another company's administrator cannot open it.
    assert login(users["owner"]).get(f"/settings/webhooks/{endpoint.public_id}/").status_code == 404


def test_a_failing_receiver_is_retried_with_backoff_after_a_500_and_a_timeout(
    channel, skus, listen, drain, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False) as clock:
        _, receiver = listen(channel.users["purchasing"], ["po.recorded"])
        receiver.answer(500, 1.5)  # then 200
        with django_capture_on_commit_callbacks(execute=True):
            record_po(channel, skus, "RETRY-1")
        drain()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == T0 + timedelta(seconds=60)
        clock.shift(timedelta(seconds=59))
        drain()
        assert len(receiver.received) == 1  # not before its time
        clock.shift(timedelta(seconds=2))
        drain()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 2)
        # The pause doubles: two minutes after the second attempt.
        assert delivery.next_attempt_at == T0 + timedelta(seconds=61 + 120)
        clock.shift(timedelta(seconds=120))
        drain()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "succeeded",
        3,
        200,
    )
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.response_code for a in log] == [500, None, 200]
    assert log[1].error == "No answer within 0.5 s."
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert all(r.verified for r in receiver.received)


def test_an_endpoint_that_keeps_failing_is_disabled_and_can_be_redelivered_to_by_hand(
    channel, skus, listen, drain, django_capture_on_commit_callbacks, webhook_settings, login
):
    webhook_settings.ENTITLE = {
        **webhook_settings.ENTITLE,
        "WEBHOOK_DISABLE_AFTER": 3,
        "WEBHOOK_MAX_ATTEMPTS": 2,
    }
    with time_machine.travel(T0, tick=False) as clock:
        endpoint, receiver = listen(channel.users["purchasing"], ["po.recorded"])
        receiver.answer(503, 503, 503)
        with django_capture_on_commit_callbacks(execute=True):
            record_po(channel, skus, "DOWN-1")
            record_po(channel, skus, "DOWN-2")
        drain()
        clock.shift(timedelta(minutes=2))
        drain()
    endpoint.refresh_from_db()
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason == "3 failed attempts in a row."
    assert len(receiver.received) == 3  # nothing is sent to a disabled endpoint
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    [notice] = mail.outbox
    assert notice.to == ["purchasing@example.com"] and endpoint.url in notice.body

    admin = login(channel.users["purchasing"])
    admin.post(f"/settings/webhooks/{endpoint.public_id}/enable/")
    missed = Delivery.objects.get(payload__data__purchase_order__po_number="DOWN-2")
    admin.post(f"/settings/webhooks/{endpoint.public_id}/deliveries/{missed.public_id}/redeliver/")
    drain()
    missed.refresh_from_db()
    assert missed.status == "succeeded"
    last = DeliveryAttempt.objects.filter(delivery=missed).latest("number")
    assert (last.manual, last.response_code) == (True, 200)
    page = admin.get(f"/settings/webhooks/{endpoint.public_id}/").content.decode()
    assert "by hand" in page and "HTTP 503" in page


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.0.0.7/hooks",
        "https://192.168.1.20/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "http://93.184.215.14/hooks",
        "ftp://93.184.215.14/hooks",
        "https://user:password@93.184.215.14/hooks",
    ],
)
def test_private_loopback_and_plain_targets_are_refused(url, acme_admin, webhook_settings):
    webhook_settings.ENTITLE = {**webhook_settings.ENTITLE, "ALLOW_PRIVATE_TARGETS": False}
    with pytest.raises(TargetRefused):
        endpoint_create(actor=actor_of(acme_admin), url=url, event_types=["licence.created"])
    assert not Endpoint.objects.exists()


def test_each_connection_is_checked_again_when_it_is_made(
    channel, skus, listen, drain, django_capture_on_commit_callbacks, webhook_settings
):
    _, receiver = listen(channel.users["purchasing"], ["po.recorded"])
    webhook_settings.ENTITLE = {**webhook_settings.ENTITLE, "ALLOW_PRIVATE_TARGETS": False}
    with django_capture_on_commit_callbacks(execute=True):
        record_po(channel, skus, "REBIND-1")
    drain()
    assert receiver.received == []
    [attempt] = DeliveryAttempt.objects.all()
    assert "private address: refused" in attempt.error


def test_a_change_pays_no_query_for_the_webhooks_in_its_transaction(channel, skus, listen):
    def queries_of_recording(number: str) -> tuple[int, int]:
        """Queries inside the change's transaction, and after its commit (on-commit work)."""
        with CaptureQueriesContext(connection) as captured:
            record_po(channel, skus, number)
        statements = [q["sql"] for q in captured.captured_queries]
        commit = statements.index("COMMIT")
        return commit + 1, len(statements) - commit - 1

    queries_of_recording("Q-0")  # warm: the first change of a test loads what is cached
    quiet_inside, quiet_after = queries_of_recording("Q-1")
    for role in ("purchasing", "owner", "reseller", "unrelated"):
        listen(channel.users[role], EVERYTHING)
    busy_inside, busy_after = queries_of_recording("Q-2")
    assert busy_inside == quiet_inside
    # After the commit: whether anyone listens; then, if someone does, one task row.
    assert (quiet_after, busy_after) == (1, 2)


def test_webhooks_through_the_api_with_a_token(acme_admin, token_client, drain):
    api = token_client(acme_admin, ["webhooks:read", "webhooks:write"])
    with Receiver() as receiver:
        made = api.post(
            "/api/v1/webhooks",
            {"url": receiver.url, "event_types": ["licence.created", "licence.renewed"]},
            content_type="application/json",
        )
        assert made.status_code == 201
        endpoint = made.json()
        receiver.secret = endpoint["secret"]
        assert endpoint["secret"].startswith("whsec_")
        [listed] = api.get("/api/v1/webhooks").json()["items"]
        assert "secret" not in listed and endpoint["secret"] not in json.dumps(listed)
        path = f"/api/v1/webhooks/{endpoint['id']}"
        changed = api.patch(
            path, {"event_types": ["licence.renewed"]}, content_type="application/json"
        )
        assert changed.json()["event_types"] == ["licence.renewed"]
        bad = api.patch(path, {"event_types": ["licence.eaten"]}, content_type="application/json")
        assert (bad.status_code, bad.json()["code"]) == (422, "event_types_invalid")
        assert api.post(f"{path}/test").status_code == 202
        drain()
        [test_event] = receiver.received
        assert test_event.verified and test_event.payload["type"] == "webhook.test"
        log = api.get(f"{path}/deliveries").json()
        [delivery] = log["items"]
        assert delivery["status"] == "succeeded"
        assert [a["response_code"] for a in delivery["attempt_log"]] == [200]
        again = api.post(f"{path}/deliveries/{delivery['id']}/redeliver")
        assert again.status_code == 202
        drain()
        assert len(receiver.received) == 2
        assert receiver.received[1].headers["webhook-id"] == test_event.headers["webhook-id"]
        types_ = {t["name"] for t in api.get("/api/v1/webhooks/event-types").json()}
        assert types_ == set(catalogue.EVENT_TYPES)
        rotated = api.post(f"{path}/rotate-secret").json()
        assert rotated["secret"] != endpoint["secret"]
    disabled = endpoint_update(actor=actor_of(acme_admin), public_id=endpoint["id"], enabled=False)
    assert disabled.status == "disabled"
    reader = token_client(acme_admin, ["webhooks:read"])
    assert reader.post(f"{path}/test").json()["code"] == "insufficient_scope"


def test_every_event_type_has_a_source_and_a_payload():
    sources = set(catalogue.BY_ACTION.values()) | {"licence.expiring", "licence.expired"}
    assert sources == set(catalogue.EVENT_TYPES)
    assert set(payloads.BUILDERS) == set(catalogue.EVENT_TYPES)
    assert catalogue.event_type_of("reminder.mailed", {"step": "days-30"}) == "licence.expiring"
    assert catalogue.event_type_of("reminder.mailed", {"step": "expiry"}) == "licence.expired"
    assert catalogue.event_type_of("reminder.skipped", {"step": "expiry"}) is None


def test_the_renewal_sweep_tells_the_owner_a_licence_is_expiring_then_expired(
    channel, skus, listen, drain
):
    with time_machine.travel(T0, tick=False) as clock:
        owner_actor = redeem_partner_po(new_partner_po(channel, skus), channel)
        licence = licence_create(
            actor=owner_actor, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="x1"
        ).licence
        _, owner = listen(channel.users["owner"], ["licence.expiring", "licence.expired"])
        _, distributor = listen(channel.users["purchasing"], EVERYTHING)
        for days_before in (30, 0):
            end = datetime.combine(licence.end_date, T0.timetz())
            clock.move_to(end - timedelta(days=days_before))
            sweep_now()
            drain()
    assert [
        (r.payload["type"], r.payload["data"]["reminder"]["days_left"]) for r in owner.received
    ] == [
        ("licence.expiring", 30),
        ("licence.expired", 0),
    ]
    assert all(r.verified for r in owner.received)
    assert owner.received[0].payload["data"]["licence"]["activation_id"] == licence.activation_id
    # The distributor sold it but may not see the licence: the reminder mail is its channel.
    assert all("licence" not in r.payload["type"] for r in distributor.received)


def test_device_events_show_the_installation_only_to_those_who_may_see_it(
    channel, skus, listen, drain
):
    owner_actor = redeem_partner_po(new_partner_po(channel, skus), channel)
    licence = licence_create(
        actor=owner_actor, sku=skus["PCNS-3Y"], quantity=2, terms=1, idempotency_key="d1"
    ).licence
    delegation_grant(
        actor=owner_actor,
        email=channel.users["reseller"].email,
        role="view",
        activation_id=licence.activation_id,
    )
    device_events = ["device.activated", "device.deactivated", "device.rehosted"]
    _, owner = listen(channel.users["owner"], device_events)
    _, viewer = listen(channel.users["reseller"], device_events)
    device = device_register(
        actor=owner_actor,
        product=skus["PCNS-3Y"].product,
        name="pcns-node-7",
        host_id="HOST-OLD-7",
        location="Server room C",
    )
    licence_assign(
        actor=owner_actor, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    licence_rehost(
        actor=owner_actor,
        activation_id=licence.activation_id,
        device_public_id=device.public_id,
        host_id="HOST-NEW-7",
        name="pcns-node-7b",
    )
    moved = Device.objects.get(host_id="HOST-NEW-7")
    binding_deactivate(
        actor=owner_actor, activation_id=licence.activation_id, device_public_id=moved.public_id
    )
    drain()
    hosts = [(r.payload["type"], r.payload["data"]["device"]["host_id"]) for r in owner.received]
    assert hosts == [
        ("device.activated", "HOST-OLD-7"),
        ("device.activated", "HOST-NEW-7"),  # the rehost binds the new host
        ("device.rehosted", "HOST-NEW-7"),
        ("device.deactivated", "HOST-NEW-7"),
    ]
    told = {r.payload["type"]: r.payload["data"] for r in owner.received}
    assert told["device.rehosted"]["previous_device"]["host_id"] == "HOST-OLD-7"
    # A `view` delegate hears of the licence, never of its installation nor its key.
    assert [r.payload["type"] for r in viewer.received] == [t for t, _ in hosts]
    for received in viewer.received:
        body = received.body.decode()
        assert (
            "HOST-" not in body
            and "Server room" not in body
            and "device" not in received.payload["data"]
        )
        assert received.payload["data"]["licence"]["activation_id"] is None


def test_a_transaction_is_fanned_out_by_one_task_and_a_rolled_back_change_by_none(
    channel, skus, listen, drain
):
    _, distributor = listen(channel.users["purchasing"], ["po.recorded"])
    with transaction.atomic():
        record_po(channel, skus, "ONE-1")
        with contextlib.suppress(RuntimeError), transaction.atomic():
            record_po(channel, skus, "GONE-1")
            raise RuntimeError("the savepoint rolls back")
        record_po(channel, skus, "ONE-2")
    assert DBTaskResult.objects.filter(task_path="entitle.webhooks.tasks.fan_out").count() == 1
    drain()
    numbers = [r.payload["data"]["purchase_order"]["po_number"] for r in distributor.received]
    assert sorted(numbers) == ["ONE-1", "ONE-2"]
