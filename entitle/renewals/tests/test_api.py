from datetime import timedelta

from django.test import Client

from entitle.renewals.tests.conftest import on, subscription

MISSING = "ABCDE-FGHJK-LMNPQ-RSTUV"


def post(client: Client, path: str, body: dict):
    return client.post(f"/api/v1{path}", body, content_type="application/json")


def test_renewal_options_through_the_api(licence, listed, channel, token_client):
    with on(licence.end_date - timedelta(days=25)):
        owner = token_client(channel.users["owner"])
        options = owner.get(f"/api/v1/licences/{licence.activation_id}/renewal").json()
    assert options["licence"]["status"] == "expiring"
    assert options["licence"]["colour"] == "amber" and options["licence"]["days_left"] == 25
    assert (options["renewable"], options["kind"]) == (True, "renewal")
    assert options["credits_quote"]["credits"] == "10.00"
    assert options["shop"]["direct_total"] == "480.00" and options["shop"]["premium"] == "80.00"
    assert [(p["name"], p["recommended"]) for p in options["partners"]][:2] == [
        ("Bluebird IT Resellers", True),
        ("Northwind Distribution", True),
    ]
    assert options["next_reminder_on"] == str(licence.end_date - timedelta(days=7))


def test_request_answer_email_and_order_through_the_api(
    licence, listed, channel, token_client, django_capture_on_commit_callbacks
):
    owner = token_client(channel.users["owner"])
    reseller = token_client(channel.users["reseller"])
    base = f"/licences/{licence.public_id}/renewal"
    created = post(owner, f"{base}/requests", {"partner": listed["reseller"].pk})
    assert created.status_code == 201, created.content
    request = created.json()
    assert (request["subscription_id"], request["sku"], request["quantity"]) == (
        subscription(licence),
        "DCE-1Y",
        10,
    )
    assert request["contact"] is None
    [received] = reseller.get("/api/v1/renewal-requests/received").json()["items"]
    assert received["id"] == request["id"] and "owner" not in str(received).lower()
    answered = post(
        reseller, f"/renewal-requests/{request['id']}/answer", {"answer": "A quote"}
    ).json()
    assert answered["status"] == "answered"
    assert owner.get("/api/v1/renewal-requests/sent").json()["items"][0]["answer"] == "A quote"

    with django_capture_on_commit_callbacks(execute=True):
        mailed = post(
            owner,
            f"{base}/partner-email",
            {"partner": listed["purchasing"].pk, "message": "Renew please"},
        )
    assert (mailed.status_code, mailed.json()) == (202, {"sent_to": "Northwind Distribution"})

    order = post(owner, f"{base}/shop-order", {"idempotency_key": "api-1"})
    assert order.status_code == 201
    assert order.json()["total"] == "480.00" and order.json()["status"] == "placed"
    assert post(owner, f"{base}/shop-order", {"idempotency_key": "api-1"}).json() == order.json()


def test_others_get_not_found_and_partner_errors_are_coded(licence, listed, channel, token_client):
    base = f"/licences/{licence.public_id}/renewal"
    for role in ["purchasing", "reseller", "installer", "unrelated"]:
        client = token_client(channel.users[role])
        answer = client.get(f"/api/v1{base}")
        missing = client.get(f"/api/v1/licences/{MISSING}/renewal")
        assert (answer.status_code, answer.json()) == (missing.status_code, missing.json())
        assert answer.json()["code"] == "licence_not_found"
    owner = token_client(channel.users["owner"])
    unknown = post(owner, f"{base}/requests", {"partner": channel.companies["unrelated"].pk})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "partner_not_found")
    empty = post(owner, f"{base}/partner-email", {"partner": listed["reseller"].pk, "message": ""})
    assert (empty.status_code, empty.json()["code"]) == (422, "renewal_request_invalid")


def test_directory_and_expiries_through_the_api(licence, listed, channel, token_client):
    owner = token_client(channel.users["owner"])
    partners = owner.get("/api/v1/partners", {"country": "", "product": "dce"}).json()["items"]
    assert [p["name"] for p in partners] == ["Bluebird IT Resellers", "Northwind Distribution"]
    with on(licence.end_date - timedelta(days=3)):
        distributor = token_client(channel.users["purchasing"])
        [row] = distributor.get("/api/v1/partner/expiries").json()["items"]
    assert row == {
        "subscription_id": subscription(licence),
        "product": "Data Center Expert",
        "sku": "DCE-1Y",
        "quantity": 10,
        "start_date": str(licence.start_date),
        "end_date": str(licence.end_date),
        "po_number": "PO-1001",
        "status": "expiring",
        "days_left": 3,
        "colour": "amber",
    }
