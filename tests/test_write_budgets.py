"""Query budgets of the write paths: every statement is one the rules need.

Each request goes through the real API (the token look-up, the service, the answer's
serialisation: a lazy load anywhere shows up here). The budgets count every statement Django
sends, including the test's own transaction's SAVEPOINT/RELEASE around the service's atomic
block (in production those are BEGIN/COMMIT). They are measured on a locker that already holds
many vouchers and ledger entries, and must not grow with them (bench/consume.py measures the
time).

Licence create, in order: token → SKU → claim the idempotency key → lock the locker, check and
move its balance (one UPDATE) → ledger entry → the vouchers that pay → licence → consumption
record → fundings → audit events (one INSERT for all three). A renewal applies its change
inside a savepoint (signing its new licence files may fail: the credits then come back).
"""

import json

import pytest
from django.test import Client

from entitle.licensing.models import ConsumptionRecord
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record

BUDGETS = {
    # Token, SKU, the outer SAVEPOINT/RELEASE (BEGIN/COMMIT in use) and the 9 above; plus,
    # when the credits come from a voucher that pays for the first time, the link of its
    # entitlement to the licence and (one voucher paying all) whether its Subscription ID is
    # free to become the Activation ID; and the Entitlements list's rows showing the licence.
    "create": 15,
    # Token, the delegations the company holds (the sharing grant of the policy), lock the
    # licence (with the policy), claim, locker, entry, vouchers, savepoint, licence update, its
    # devices (files to re-issue), the Entitlements list's rows, release, record, fundings,
    # events; plus an entitlement's first link.
    "renew": 18,
    # As renew, without the devices (the new quantity waits for "Add License") and without the
    # savepoint.
    "increase": 15,
    # Token, claim, the voucher (locked, with what the answer shows), locker, entry, voucher
    # update, a shop order waiting for it, audit events.
    "redeem": 11,
    # The product's online activation of a new host (no token: the Activation ID is the key).
    "activate": 24,
}


def post(client: Client, path: str, body: dict):
    response = client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")
    assert response.status_code < 300, response.content
    return response.json()


@pytest.fixture
def big_locker(channel, skus, owner_credits, django_capture_on_commit_callbacks, settings):
    """The owner's DCE-1Y locker after 30 more vouchers were redeemed into it and 30 licences
    created from it: the budgets must not depend on how much a locker has seen."""
    settings.ENTITLE = {**settings.ENTITLE, "REDEEM_RATE_USER": 100, "REDEEM_RATE_COMPANY": 100}
    owner = channel.companies["owner"]
    po = po_record(
        actor=channel.staff,
        po_number="BIG-1",
        po_email="orders@example.com",
        channel="direct",
        purchasing_entity=owner,
        owner=owner,
        lines=[LineInput(skus["DCE-1Y"], 3) for _ in range(30)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        po_fulfil(actor=channel.staff, public_id=po.public_id)
    for n, line in enumerate(po.lines.select_related("voucher")):
        voucher_redeem(actor=owner_credits, code=line.voucher.code, idempotency_key=f"big-{n}")


@pytest.fixture
def api(channel, token_client, big_locker):
    client = token_client(channel.users["owner"])
    for n in range(30):
        post(client, "/licences", {"sku": "DCE-1Y", "quantity": 2, "idempotency_key": f"w{n}"})
    return client


def test_licence_create(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGETS["create"]):
        created = post(api, "/licences", {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "c"})
    assert created["status"] == "completed"
    # The same request again: its first answer, and no more than a first request costs.
    with django_assert_max_num_queries(BUDGETS["create"]):
        again = post(api, "/licences", {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "c"})
    assert again["id"] == created["id"]
    assert ConsumptionRecord.objects.filter(idempotency_key="c").count() == 1


@pytest.fixture
def licence(api) -> str:
    return post(api, "/licences", {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "l"})[
        "activation_id"
    ]


def test_licence_renew(api, licence, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGETS["renew"]):
        renewed = post(api, f"/licences/{licence}/renew", {"terms": 1, "idempotency_key": "r"})
    assert (renewed["kind"], renewed["status"]) == ("renew", "completed")


def test_licence_increase(api, licence, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGETS["increase"]):
        increased = post(
            api, f"/licences/{licence}/increase", {"quantity": 3, "idempotency_key": "i"}
        )
    assert (increased["kind"], increased["details"]["to"]) == ("increase", 3)


def test_voucher_redeem(
    api, channel, skus, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    owner = channel.companies["owner"]
    po = po_record(
        actor=channel.staff,
        po_number="ONE-MORE",
        po_email="orders@example.com",
        channel="direct",
        purchasing_entity=owner,
        owner=owner,
        lines=[LineInput(skus["DCE-1Y"], 5)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        po_fulfil(actor=channel.staff, public_id=po.public_id)
    code = po.lines.get().voucher.code
    with django_assert_max_num_queries(BUDGETS["redeem"]):
        redeemed = post(api, "/vouchers/redeem", {"code": code, "idempotency_key": "v"})
    assert (redeemed["status"], redeemed["po_number"]) == ("redeemed", "ONE-MORE")


def test_device_activation(api, licence, django_assert_max_num_queries):
    Client().get("/api/v1/keys")  # the signing key exists, as on a running server
    with django_assert_max_num_queries(BUDGETS["activate"]):
        answer = post(
            Client(),
            "/product/activate",
            {"activation_id": licence, "host_id": "HOST-9", "nonce": "n", "device_name": "dce"},
        )
    assert answer["licence"]
