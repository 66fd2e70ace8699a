import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import PASSWORD
from entitle.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_invite_a_coworker_who_then_registers(page, browser, live_server, acme_admin, acme_member):
    log_in(page, "olivia@acme.example")
    page.get_by_role("navigation").get_by_role("link", name="Co-workers").click()
    page.get_by_role("link", name="Invite a co-worker").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Send a co-worker an invite to the portal.")
    email = dialog.get_by_label("Email address")
    send = dialog.get_by_role("button", name="Send Invite")

    send.click()
    expect(dialog.get_by_role("alert")).to_have_text("Please enter email address")

    dialog.get_by_label("Email address").fill("not-an-address")
    send.click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "You have entered an invalid email address. Please re-enter the email address."
    )

    dialog.get_by_label("Email address").fill("sam@acme.example")
    send.click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "This co-worker has already been invited to the portal. Please invite another co-worker."
    )

    email = dialog.get_by_label("Email address")
    email.fill("newcomer@example.com")
    dialog.get_by_role("button", name="Send Invite").click()
    expect(dialog.get_by_role("heading")).to_have_text("Invitation Sent")
    expect(dialog).to_contain_text("Your invitation was sent.")
    expect(dialog.get_by_role("button", name="Send New Invite")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#invitations")).to_contain_text("newcomer@example.com")

    [message] = mail.outbox
    link = re.search(r"http://\S+/join/\S+/", message.body).group(0)
    assert link.startswith(live_server.url)

    invitee = browser.new_context(base_url=live_server.url).new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Acme Data Centres")
    invitee.get_by_label("Your name").fill("Nia Newcomer")
    invitee.get_by_label("Password", exact=True).fill("zq-8-long-Secret")
    invitee.get_by_label("Password (again)").fill("zq-8-long-Secret")
    invitee.get_by_role("button", name="Register").click()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Home")
    expect(invitee.locator(".topbar .company")).to_have_text("Acme Data Centres")
    expect(invitee.get_by_role("status")).to_contain_text("Welcome")
    assert User.objects.get(email="newcomer@example.com").company_id == acme_admin.company_id
