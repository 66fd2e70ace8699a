"""From the log-in page a renewal link led to, a PO email without an account can ask for a
new registration link; nobody learns anything about other addresses."""

import re

from django.core import mail

from conftest import actor_of
from entitle.licensing.services.licences import licence_create
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record


def direct_licence(channel, skus, capture):
    """The owner buys direct: its PO email, buyer@…, has no account."""
    owner = channel.companies["owner"]
    with capture(execute=True):
        po = po_record(
            actor=channel.staff,
            po_number="D-1",
            po_email="buyer@acme.example",
            channel="direct",
            purchasing_entity=owner,
            owner=owner,
            lines=[LineInput(skus["DCE-1Y"], 2)],
        )
        po_fulfil(actor=channel.staff, public_id=po.public_id)
    actor = actor_of(channel.users["owner"])
    voucher_redeem(actor=actor, code=po.lines.get().voucher.code, idempotency_key="d1")
    return licence_create(
        actor=actor, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="d2"
    ).licence


def test_the_login_page_of_a_renewal_link_offers_to_register(
    channel, skus, client, django_capture_on_commit_callbacks
):
    licence = direct_licence(channel, skus, django_capture_on_commit_callbacks)
    renewal = f"/licences/{licence.public_id}/renewal/"
    login_page = client.get(renewal, follow=True).content.decode()
    assert "New to the portal?" in login_page
    assert "Register" not in client.get("/login/").content.decode()  # no flow, no offer
    register = re.search(r'href="(/renewals/register/\?[^"]+)"', login_page).group(1)
    form = client.get(register.replace("&amp;", "&")).content.decode()
    assert f'value="{renewal}"' in form
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/renewals/register/", {"email": "buyer@acme.example", "next": renewal})
    assert "a registration link is on its way" in sent.content.decode()
    [message] = mail.outbox
    link = re.search(r"http://\S+/renewals/join/\S+/", message.body).group(0)
    joined = client.post(
        link.split("127.0.0.1:8000")[-1],
        {
            "name": "Bea Buyer",
            "password": "a-Long-test-passw0rd",
            "password_again": "a-Long-test-passw0rd",
        },
    )
    assert joined.status_code == 302 and joined["Location"] == renewal


def test_other_addresses_get_the_same_answer_and_no_mail(
    channel, skus, client, django_capture_on_commit_callbacks
):
    licence = direct_licence(channel, skus, django_capture_on_commit_callbacks)
    renewal = f"/licences/{licence.public_id}/renewal/"
    mail.outbox.clear()
    answers = set()
    for email in ["someone@else.example", "owner@example.com"]:  # not the PO's; has an account
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post("/renewals/register/", {"email": email, "next": renewal})
        status = re.search(r'<p role="status">.*?</p>', page.content.decode(), re.S).group(0)
        answers.add(status.replace(email, "…"))
    assert len(answers) == 1 and mail.outbox == []
    bad = client.post("/renewals/register/", {"email": "nope", "next": renewal})
    assert "You have entered an invalid email address." in bad.content.decode()
