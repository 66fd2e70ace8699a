"""Every input is bounded and strict: the OpenAPI schema leaves no request field unbounded (so
a new field cannot forget it), and each measured way of breaking the service is refused."""

import json

import pytest
from django.test import Client

from config.api import api
from entitle.accounts.models import Company

BOUNDED_FORMATS = {"date", "date-time", "uuid"}
# The licensed product's endpoints ignore keys they do not know, so that a newer product still
# talks to an older server; their bodies are capped at 8 KiB (product_http.MAX_BODY).
FORWARD_COMPATIBLE = "/api/v1/product/"


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def unbounded(schema: dict, components: dict, where: str) -> list[str]:
    """The places in `schema` that accept a value of unbounded size or range."""
    schema = _resolve(schema, components)
    if "anyOf" in schema:
        return [
            problem
            for option in schema["anyOf"]
            for problem in unbounded(option, components, where)
        ]
    kind = schema.get("type")
    if kind == "null" or kind == "boolean" or "enum" in schema:
        return []
    if kind == "integer":
        return [] if {"minimum", "maximum"} <= schema.keys() else [f"{where}: integer range"]
    if kind == "number":
        return [] if {"minimum", "maximum"} <= schema.keys() else [f"{where}: number range"]
    if kind == "string":
        if "maxLength" in schema or schema.get("format") in BOUNDED_FORMATS:
            return []
        return [f"{where}: string length"]
    if kind == "array":
        problems = [] if "maxItems" in schema else [f"{where}: array length"]
        return problems + unbounded(schema.get("items", {}), components, f"{where}[]")
    if kind == "object":
        problems = [] if schema.get("additionalProperties") is False else [f"{where}: extra keys"]
        for name, prop in schema.get("properties", {}).items():
            problems += unbounded(prop, components, f"{where}.{name}")
        return problems
    return [f"{where}: untyped"]


def test_no_request_field_is_unbounded():
    openapi = api.get_openapi_schema()
    components = openapi["components"]["schemas"]
    problems = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                problems += unbounded(
                    parameter["schema"], components, f"{where} {parameter['name']}"
                )
            body = operation.get("requestBody", {}).get("content", {})
            for content in body.values():
                problems += [
                    problem
                    for problem in unbounded(content["schema"], components, f"{where} body")
                    if not (path.startswith(FORWARD_COMPATIBLE) and problem.endswith("extra keys"))
                ]
    assert problems == []


@pytest.fixture
def staff(vendor_staff, login, skus):
    return login(vendor_staff)


def post(client: Client, path: str, body: dict):
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def assert_refused(response) -> None:
    assert response.status_code == 422, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize(
    "field, value",
    [
        ("partner_price", 100_000_000_000_000),
        ("partner_price", "1e20"),
        ("partner_price", True),
        ("partner_price", -1),
        ("term_days", 1_000_000_000),
        ("term_days", True),
        ("term_days", "365"),
        ("term_days", 365.0),
        ("code", "DCE-\x00"),
        ("name", "x" * 10_000),
        ("name", "Evil\u202egnp.exe"),
        ("name", "two\nlines"),
    ],
)
def test_a_sku_out_of_bounds_is_refused_and_the_catalog_keeps_working(staff, field, value):
    sku = {"code": "DCE-9Y", "product": "dce", "term_days": 365, "partner_price": "10.00"}
    assert_refused(post(staff, "/catalog/skus", {**sku, field: value}))
    for path in ["/api/v1/catalog/skus", "/api/v1/catalog/products"]:
        assert staff.get(path).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"lines": [{"sku": "DCE-1Y", "quantity": 10**12}]},
        {"lines": [{"sku": "DCE-1Y", "quantity": 1, "unit_price": 1e20}]},
        {"lines": [{"sku": "DCE-1Y", "quantity": True}]},
        {"lines": [{"sku": "DCE-1Y", "quantity": "5"}]},
        {"owner": 2**64},
        {"owner": True},
        {"ordered_on": "0001-01-01"},
        {"ordered_on": "9999-12-31"},
        {"ordered_on": 1_700_000_000},
        {"po_number": "PO-\x00"},
        {"unexpected": "field"},
    ],
    ids=repr,
)
def test_a_po_out_of_bounds_is_refused_and_lists_keep_working(staff, channel, change):
    c = channel.companies
    po = {
        "po_number": "PO-BOUNDS",
        "po_email": "orders@northwind.example",
        "channel": "partner",
        "purchasing_entity": c["purchasing"].pk,
        "owner": c["owner"].pk,
        "lines": [{"sku": "DCE-1Y", "quantity": 1}],
    }
    assert_refused(post(staff, "/orders", {**po, **change}))
    for path in ["/api/v1/orders", "/api/v1/vouchers", "/api/v1/entitlements"]:
        assert staff.get(path).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"sku": "DCE-1Y", "quantity": True, "idempotency_key": "k"},
        {"sku": "DCE-1Y", "quantity": 1, "terms": 1.0, "idempotency_key": "k"},
        {"sku": "DCE-1Y", "quantity": 1, "terms": 10**9, "idempotency_key": "k"},
        {"sku": "DCE-1Y", "quantity": 1, "start_date": "9999-12-31", "idempotency_key": "k"},
        {"sku": "DCE-1Y", "quantity": 1, "idempotency_key": "k\x00"},
    ],
    ids=repr,
)
def test_lenient_licence_input_is_refused(owner_credits, token_client, channel, body):
    assert_refused(post(token_client(channel.users["owner"]), "/licences", body))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orders/lookup?po_number=PO%00",
        "/api/v1/partners?q=%00",
        "/api/v1/partners?q=" + "x" * 1000,
        "/api/v1/locker/ledger?sku=%00",
        "/api/v1/licences/A%00B",
    ],
)
def test_nul_and_overlong_query_strings_are_refused(token_client, acme_admin, path):
    assert_refused(token_client(acme_admin).get(path))


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Rack\x00", "host_id": "H", "product": "dce"},
        {"name": "Rack", "host_id": "H\x00", "product": "dce"},
        {"name": "Rack \u202e1", "host_id": "H", "product": "dce"},
        {"name": "R" * 10_000, "host_id": "H", "product": "dce"},
    ],
    ids=repr,
)
def test_device_names_and_host_ids_are_clean(token_client, acme_admin, skus, body):
    assert_refused(post(token_client(acme_admin), "/devices", body))


def test_the_product_side_refuses_nul(db):
    body = {"activation_id": "AAAAA-BBBBB", "host_id": "H\x00", "nonce": "n"}
    assert_refused(post(Client(), "/product/activate", body))


def test_an_id_beyond_64_bits_is_refused_not_a_crash(staff, channel):
    assert Company.objects.count() > 0
    response = post(
        staff,
        "/licences/ANY/renewal-requests",
        {"partner": 2**64, "message": "hello"},
    )
    assert response.status_code in (404, 422)


def test_the_portal_forms_have_the_same_bounds(login, owner_credits, channel):
    client = login(channel.users["owner"])
    page = client.post(
        "/devices/",
        {"name": "Rack \u202e1", "host_id": "HOST-1", "product": "dce", "location": ""},
    )
    assert page.status_code in (200, 422)
    assert "bidirectional control characters" in page.content.decode()
    page = client.post("/licences/new/", {"sku": "DCE-1Y", "quantity": 10**12, "terms": 1})
    assert "Ensure this value is less than or equal to 1000000." in page.content.decode()
