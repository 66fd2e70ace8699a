"""What the reminder mails say, and to whom; and one of them through a real SMTP server."""

import logging
import re
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.test import Client

from conftest import PASSWORD, actor_of
from entitle.accounts.models import User
from entitle.accounts.services import user_create
from entitle.licensing.services.licences import licence_create
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.renewals.tests.conftest import on, subscription


def reminders_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address] and "digital vouchers" not in m.subject]


def test_the_owner_is_told_the_licence_and_its_renewal_page(licence, sweep, settings):
    with on(licence.end_date - timedelta(days=30)):
        sweep()
    [message] = reminders_to("owner@example.com")
    assert message.subject == (
        f"Your Data Center Expert licence {licence.activation_id} ends in 30 days"
    )
    body = message.body
    assert f"Activation ID (License Key): {licence.activation_id}" in body
    assert "Quantity:       10 discoverable devices and surveillance cameras" in body
    assert f"{settings.PORTAL_URL}/licences/{licence.public_id}/renewal/" in body
    assert "This reminder is sent 30 days before the end date." in body
    assert "register" not in body


def test_the_partner_po_email_gets_entitlement_information_only(licence, sweep):
    with on(licence.end_date - timedelta(days=7)):
        sweep()
    [message] = reminders_to("orders@northwind.example")
    assert message.subject == f"A licence you sold ends in 7 days: {subscription(licence)}"
    body = message.body
    for shown in [subscription(licence), "DCE-1Y", "Quantity:        10", "PO-1001"]:
        assert shown in body
    # Never the owner, nor the installation, nor the Activation ID (the owner's key).
    hidden_things = ["Acme", "owner@example.com", "dce-leeds", "HOST-SECRET-1", "Leeds"]
    for hidden in [*hidden_things, licence.activation_id]:
        assert hidden not in body and hidden not in message.subject, hidden
    # An address with no account registers first, into the PO's purchasing entity.
    assert "register first" in body


def register_link(message) -> str:
    return re.search(r"http://\S+/renewals/join/\S+/", message.body).group(0)


def test_a_po_email_without_an_account_registers_then_lands_on_the_renewal_page(
    channel, skus, sweep, settings, django_capture_on_commit_callbacks
):
    owner = channel.companies["owner"]
    staff = channel.staff
    with django_capture_on_commit_callbacks(execute=True):
        po = po_record(
            actor=staff,
            po_number="ACME-DIRECT-1",
            po_email="buyer@acme.example",
            channel="direct",
            purchasing_entity=owner,
            owner=owner,
            lines=[LineInput(skus["SECURE-NMC-1Y"], 3)],
        )
        po_fulfil(actor=staff, public_id=po.public_id)
    buyer = actor_of(channel.users["owner"])
    voucher_redeem(actor=buyer, code=po.lines.get().voucher.code, idempotency_key="redeem")
    licence = licence_create(
        actor=buyer, sku=skus["SECURE-NMC-1Y"], quantity=3, terms=1, idempotency_key="nmc"
    ).licence
    with on(licence.end_date - timedelta(days=60)):
        sweep()
    [message] = reminders_to("buyer@acme.example")
    assert "You have no account on the portal yet" in message.body
    link = register_link(message)
    assert link.startswith(settings.PORTAL_URL)
    path = link.removeprefix(settings.PORTAL_URL)

    client = Client()
    page = client.get(path).content.decode()
    assert "buyer@acme.example" in page and "Acme Data Centres" in page
    answer = client.post(
        path, {"name": "Bea Buyer", "password": PASSWORD, "password_again": PASSWORD}
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/licences/{licence.public_id}/renewal/"
    assert User.objects.get(email="buyer@acme.example").company == owner
    assert "Renew License" in client.get(answer["Location"]).content.decode()
    # The link is not a second way in: once registered, it sends the address to log in.
    again = Client().post(path, {"name": "Eve", "password": PASSWORD, "password_again": PASSWORD})
    assert again.status_code == 302 and again["Location"].startswith("/login/?next=")


def test_a_tampered_registration_link_is_refused(licence, sweep):
    with on(licence.end_date - timedelta(days=7)):
        sweep()
    link = register_link(reminders_to("orders@northwind.example")[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    answer = Client().get(f"/renewals/join/{token[:-2]}xx/")
    assert answer.status_code == 404
    assert "not valid or has expired" in answer.content.decode()


def test_an_address_that_is_both_po_email_and_administrator_gets_one_mail(
    licence, sweep, channel, skus, django_capture_on_commit_callbacks
):
    user_create(
        actor=None,
        company=channel.companies["purchasing"],
        email="orders@northwind.example",
        name="Northwind orders",
        password=PASSWORD,
    )
    with on(licence.end_date - timedelta(days=7)):
        sweep()
    assert len(reminders_to("orders@northwind.example")) == 1
    # A user of the partner: the partner side, with a link to log in, not to register.
    [message] = reminders_to("orders@northwind.example")
    assert "register" not in message.body
    assert "/renewals/#sold" in message.body


def test_expired_secure_nmc_mail_says_a_new_subscription_is_needed(
    channel, skus, sweep, django_capture_on_commit_callbacks
):
    owner = actor_of(channel.users["owner"])
    staff = channel.staff
    with django_capture_on_commit_callbacks(execute=True):
        po = po_record(
            actor=staff,
            po_number="NMC-9",
            po_email="owner@example.com",
            channel="direct",
            purchasing_entity=channel.companies["owner"],
            owner=channel.companies["owner"],
            lines=[LineInput(skus["SECURE-NMC-1Y"], 2)],
        )
        po_fulfil(actor=staff, public_id=po.public_id)
    voucher_redeem(actor=owner, code=po.lines.get().voucher.code, idempotency_key="redeem")
    licence = licence_create(
        actor=owner, sku=skus["SECURE-NMC-1Y"], quantity=2, terms=1, idempotency_key="n9"
    ).licence
    with on(licence.end_date):
        sweep()
    [message] = reminders_to("owner@example.com")
    assert message.subject == f"Your Secure NMC subscription {licence.activation_id} has expired"
    assert "a new subscription, with a new Activation ID, must be bought" in message.body


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost (aiosmtpd), keeping what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(
                (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
            )
            return "250 Message accepted for delivery"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    # aiosmtpd logs from its own thread, which may outlive the test's captured output.
    server_log = logging.getLogger("mail.log")
    server_log.disabled = True
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()
        server_log.disabled = False


def test_a_reminder_goes_out_through_a_real_smtp_server(licence, sweep, settings, smtp_server):
    port, received = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with on(licence.end_date - timedelta(days=90)):
        sweep()
    by_address = {tuple(to): message for to, message in received}
    assert set(by_address) == {("orders@northwind.example",), ("owner@example.com",)}
    message = by_address[("owner@example.com",)]
    assert message["Subject"] == (
        f"Your Data Center Expert licence {licence.activation_id} ends in 90 days"
    )
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    body = message.get_content()
    assert f"/licences/{licence.public_id}/renewal/" in body
