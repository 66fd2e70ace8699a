"""Entitlement information is the truth about the licence today (DOMAIN.md "Licences and
devices"): each entitlement row follows the licence its credits went into, scoped to what each
role may see, in the portal, the API and the partner's expiries, without duplicates."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from entitle.licensing.services.licences import licence_create, licence_increase, licence_renew
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.sharing.services import delegation_grant


def rows(client) -> list[dict]:
    response = client.get("/api/v1/entitlements")
    assert response.status_code == 200
    return response.json()["items"]


def dce_rows(client) -> list[dict]:
    return [row for row in rows(client) if row["sku"].startswith("DCE")]


def test_a_row_shows_the_licence_after_renewal_and_increase(
    owner_credits, channel, skus, token_client, login
):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=10, terms=1, idempotency_key="c"
    ).licence
    licence_renew(
        actor=owner_credits, activation_id=licence.activation_id, terms=1, idempotency_key="r"
    )
    licence_increase(
        actor=owner_credits, activation_id=licence.activation_id, quantity=12, idempotency_key="i"
    )
    licence.refresh_from_db()
    for role in ["owner", "purchasing", "reseller", "installer"]:
        [row] = dce_rows(token_client(channel.users[role]))
        assert (row["quantity"], row["end_date"], row["status"]) == (
            12,
            licence.end_date.isoformat(),
            "active",
        ), role
        assert row["start_date"] == licence.start_date.isoformat()
    page = login(channel.users["reseller"]).get("/entitlements/").content.decode()
    assert licence.valid_through.strftime("%-d %b %Y") in page
    # An unused entitlement shows what was fulfilled, as unused.
    [pcns] = [r for r in rows(token_client(channel.users["owner"])) if r["sku"] == "PCNS-3Y"]
    assert (pcns["quantity"], pcns["status"]) == (10, "unused")


def test_a_licence_scope_delegate_sees_its_licence_quantity_not_the_line(
    owner_credits, channel, skus, token_client, make_company, make_user
):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="one"
    ).licence
    viewer = make_user(make_company("Viewer Co"), email="viewer@example.com", role="admin")
    delegation_grant(
        actor=owner_credits,
        email="viewer@example.com",
        role="view",
        activation_id=licence.activation_id,
    )
    [row] = rows(token_client(viewer))
    assert (row["sku"], row["quantity"]) == ("DCE-1Y", 1)


def test_every_licence_has_a_row_even_when_a_voucher_paid_for_two(
    owner_credits, skus, channel, token_client
):
    for n, quantity in enumerate([10, 5]):
        licence_create(
            actor=owner_credits,
            sku=skus["DCE-1Y"],
            quantity=quantity,
            terms=1,
            idempotency_key=f"split-{n}",
        )
    found = dce_rows(token_client(channel.users["owner"]))
    assert sorted(row["quantity"] for row in found) == [5, 10]
    assert len({row["subscription_id"] for row in found}) == 1


def test_partner_expiries_list_a_licence_once_whatever_paid_for_it(
    owner_credits, channel, skus, token_client, django_capture_on_commit_callbacks
):
    c = channel.companies
    second = po_record(
        actor=channel.staff,
        po_number="PO-1002",
        po_email="orders@northwind.example",
        channel="partner",
        purchasing_entity=c["purchasing"],
        owner=c["owner"],
        lines=[LineInput(skus["DCE-1Y"], 10)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = po_fulfil(actor=channel.staff, public_id=second.public_id)
    voucher_redeem(
        actor=owner_credits, code=second.lines.get().voucher.code, idempotency_key="second"
    )
    # 30 credits: all 25 of the first PO's voucher and 5 of the second's.
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=30, terms=1, idempotency_key="both"
    ).licence
    with time_machine.travel(timezone.now() + timedelta(days=300), tick=False):
        expiries = token_client(channel.users["purchasing"]).get("/api/v1/partner/expiries")
    assert expiries.status_code == 200
    [row] = expiries.json()["items"]
    assert row["quantity"] == 30 and row["end_date"] == licence.end_date.isoformat()
    assert row["po_number"] == "PO-1001, PO-1002"
