from decimal import Decimal

from django.core import mail

from entitle.orders.models import PurchaseOrder


def test_vendor_staff_record_and_fulfil_a_po_through_the_api(
    channel, skus, login, django_capture_on_commit_callbacks
):
    c = channel.companies
    staff = login(channel.users["vendor"])
    body = {
        "po_number": "API-1",
        "po_email": "buyer@northwind.example",
        "channel": "partner",
        "purchasing_entity": c["purchasing"].pk,
        "owner": c["owner"].pk,
        "reseller": c["reseller"].pk,
        "installer": c["installer"].pk,
        "lines": [
            {"sku": "DCE-3Y", "quantity": 5, "unit_price": "99.50"},
            {"sku": "PCNS-1Y", "quantity": 2},
        ],
    }
    created = staff.post("/api/v1/orders", body, content_type="application/json")
    assert created.status_code == 201, created.content
    po = created.json()
    assert po["owner"]["name"] == "Acme Data Centres"
    assert [(line["sku"], line["amount"]) for line in po["lines"]] == [
        ("DCE-3Y", "497.50"),
        ("PCNS-1Y", str(skus["PCNS-1Y"].partner_price * 2)),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        fulfilled = staff.post(f"/api/v1/orders/{po['id']}/fulfil")
    assert fulfilled.json()["status"] == "fulfilled"
    assert mail.outbox[0].to == ["buyer@northwind.example"]
    duplicate = staff.post("/api/v1/orders", body, content_type="application/json")
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "po_duplicate")
    unknown_sku = {**body, "po_number": "API-2", "lines": [{"sku": "NOPE", "quantity": 1}]}
    assert (
        staff.post("/api/v1/orders", unknown_sku, content_type="application/json").status_code
        == 404
    )


def test_a_customer_cannot_record_a_po(channel, skus, token_client):
    c = channel.companies
    response = token_client(channel.users["purchasing"]).post(
        "/api/v1/orders",
        {
            "po_number": "X",
            "po_email": "a@b.example",
            "channel": "partner",
            "purchasing_entity": c["purchasing"].pk,
            "owner": c["owner"].pk,
            "lines": [{"sku": "DCE-1Y", "quantity": 1}],
        },
        content_type="application/json",
    )
    # A customer's token cannot even hold the back office's scope the route needs.
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")
    assert not PurchaseOrder.objects.exists()


def test_catalog_lists_prices_and_only_staff_add_to_it(skus, channel, token_client, login):
    listing = token_client(channel.users["owner"]).get("/api/v1/catalog/skus").json()["items"]
    dce = next(s for s in listing if s["code"] == "DCE-1Y")
    assert Decimal(dce["direct_price"]) == Decimal(dce["partner_price"]) * Decimal("1.2")
    new = {"code": "DCE-2Y", "product": "dce", "term_days": 730, "partner_price": "70.00"}
    refused = token_client(channel.users["owner"]).post(
        "/api/v1/catalog/skus", new, content_type="application/json"
    )
    assert refused.status_code == 403
    added = login(channel.users["vendor"]).post(
        "/api/v1/catalog/skus", new, content_type="application/json"
    )
    assert added.status_code == 201
    products = token_client(channel.users["owner"]).get("/api/v1/catalog/products").json()["items"]
    policy = {p["code"]: p for p in products}
    assert policy["secure-nmc"]["renewable_after_expiry"] is False
    assert policy["pcns"]["grace_days"] == 60
    assert policy["dce"]["one_licence_per_device"] is True


def test_portal_fulfil_button(channel, skus, login, partner_po):
    page = login(channel.users["vendor"]).get(f"/orders/{partner_po.public_id}/").content.decode()
    assert "Acme Data Centres" in page
    hidden = (
        login(channel.users["purchasing"]).get(f"/orders/{partner_po.public_id}/").content.decode()
    )
    assert "Not shown: only the owner sees who it is." in hidden
