"""Home on a laptop and on a phone: the dashboard fits the screen (tables scroll in their own
box), and on a phone the navigation opens from the Menu button."""

import pytest
from playwright.sync_api import expect

from entitle.licensing.services.licences import licence_create
from tests.browser.test_invite_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.parametrize("width", [1366, 390])
def test_the_owners_home_fits_the_screen(page, owner_credits, skus, channel, width):
    for n in range(3):
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key=f"h{n}"
        )
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, channel.users["owner"].email)
    expect(page.get_by_role("heading", name="Your licenses")).to_be_visible()
    expect(page.locator("#chart-ending svg, #chart-ending p")).to_be_visible()
    no_sideways_scroll(page)
    menu = page.get_by_role("button", name="Menu")
    if width < 960:
        expect(page.locator("#sidenav")).to_be_hidden()
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        page.locator("#sidenav").get_by_role("link", name="Digital Locker").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Digital Locker")
        no_sideways_scroll(page)
    else:
        expect(menu).to_be_hidden()
        expect(page.locator("#sidenav").get_by_role("link", name="Digital Locker")).to_be_visible()


def test_staff_home_at_phone_width(page, channel, partner_po):
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, channel.users["vendor"].email)
    expect(page.get_by_role("search")).to_be_visible()
    no_sideways_scroll(page)
    page.get_by_role("button", name="Menu").click()
    page.locator("#sidenav").get_by_role("link", name="Catalog").click()
    no_sideways_scroll(page)
    # A form with a table of inputs: the table scrolls in its box, the page does not.
    page.goto("/backoffice/orders/new/")
    page.get_by_role("button", name="Add a line").click()
    expect(page.locator("tr[data-line]")).to_have_count(2)
    no_sideways_scroll(page)
