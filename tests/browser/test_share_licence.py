import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from entitle.licensing.services.licences import licence_create
from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_share_then_the_recipient_logs_in_and_sees_the_licence(
    page, browser, live_server, owner_credits, channel, skus
):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=3, terms=1, idempotency_key="share"
    ).licence
    log_in(page, channel.users["owner"].email)
    page.get_by_role("navigation").get_by_role("link", name="Licenses").click()
    row = page.get_by_role("row").filter(has_text=licence.activation_id)
    row.get_by_text("Actions").click()
    row.get_by_role("link", name="Share license information").click()

    page.get_by_role("button", name="Share").click()
    expect(page.get_by_role("alert")).to_have_text("Please enter email address")
    page.get_by_label("Email address").fill("installer@example.com")
    page.get_by_label("Manage").check()
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_role("status")).to_contain_text("License information shared")
    expect(page.locator("table").first).to_contain_text("Initech Managed Services")

    recipient = browser.new_context(base_url=live_server.url).new_page()
    recipient.goto("/login/")
    recipient.get_by_label("Email").fill("installer@example.com")
    recipient.get_by_label("Password").fill(PASSWORD)
    recipient.get_by_role("button", name="Log in").click()
    recipient.get_by_role("navigation").get_by_role("link", name="Licenses").click()
    expect(recipient.get_by_role("row").filter(has_text=licence.activation_id)).to_contain_text(
        "Data Center Expert"
    )
    # The owner's name is nowhere on the delegate's page.
    expect(recipient.locator("main")).not_to_contain_text("Acme Data Centres")
