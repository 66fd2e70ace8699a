"""The field policy: a row one may see is shown without the fields one may not (DOMAIN.md
"What may be shared"): the redeemer of a voucher, the owner in a PO's audit events."""

import pytest


@pytest.fixture
def distributor(owner_credits, channel, login, token_client):
    return {
        "page": login(channel.users["purchasing"]),
        "api": token_client(channel.users["purchasing"]),
    }


def test_the_purchasing_entity_sees_that_a_voucher_was_redeemed_never_by_whom(
    distributor, channel, login
):
    vouchers = distributor["api"].get("/api/v1/vouchers").json()["items"]
    assert vouchers and all(v["status"] == "redeemed" and v["redeemed_at"] for v in vouchers)
    assert all(v["redeemed_by_company"] is None for v in vouchers)
    page = distributor["page"].get("/vouchers/").content.decode()
    assert "Redeemed" in page and "Acme" not in page
    # The redeemer itself still sees who redeemed.
    own = login(channel.users["owner"]).get("/vouchers/").content.decode()
    assert "by Acme Data Centres" in own


def test_po_events_do_not_name_the_owner_to_the_purchasing_entity(distributor, channel, login):
    owner_id = channel.companies["owner"].pk
    events = distributor["api"].get("/api/v1/activity").json()["items"]
    po_events = [e for e in events if e["action"] in ("po.recorded", "po.fulfilled")]
    assert po_events
    for event in po_events:
        for side in (event["before"] or {}, event["after"] or {}):
            assert "owner" not in side
    for path in ["/activity/", "/activity/?format=csv"]:
        response = distributor["page"].get(path)
        body = response.getvalue().decode()
        assert "po.recorded" in body or "recorded the purchase order" in body
        assert f'"owner": {owner_id}' not in body and f'""owner"": {owner_id}' not in body
    # Vendor staff see the whole event.
    staff = login(channel.users["vendor"]).get("/api/v1/activity").json()["items"]
    recorded = next(e for e in staff if e["action"] == "po.recorded")
    assert recorded["after"]["owner"] == owner_id
