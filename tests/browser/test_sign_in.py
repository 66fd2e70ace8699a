"""Signing in through a company's identity provider (a real OpenID Connect provider on
localhost), and with a code from an authenticator app, in Chromium."""

import httpx
import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from conftest import PASSWORD, actor_of
from entitle.accounts.models import User
from entitle.accounts.services import sso

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_through_the_company_identity_provider(page, acme_admin, oidc_provider, settings):
    settings.ENTITLE = {**settings.ENTITLE, "ALLOW_PRIVATE_TARGETS": True}
    sso.provider_save(
        actor=actor_of(acme_admin),
        company=acme_admin.company,
        issuer=oidc_provider,
        client_id="entitle-portal",
        client_secret="a-client-secret",
        domains="acme.example",
    )
    httpx.put(
        f"{oidc_provider}/users/pat@acme.example",
        json={"email": "pat@acme.example", "name": "Pat Engineer"},
    )
    page.goto("/login/")
    page.get_by_label("Your work address").fill("pat@acme.example")
    page.get_by_role("button", name="Continue with single sign-on").click()
    # The identity provider's own page.
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_placeholder("sub").fill("pat@acme.example")
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.locator(".who")).to_contain_text("Pat Engineer")
    expect(page.locator(".who")).to_contain_text("Acme Data Centres")
    assert User.objects.get(email="pat@acme.example").company == acme_admin.company


def test_sign_in_with_a_code_from_an_authenticator_app(page, acme_member):
    device = TOTPDevice.objects.create(user=acme_member, name="Authenticator app", confirmed=True)
    page.goto("/login/")
    page.get_by_label("Email").fill("sam@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("This code is not right. Please try again.")
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    page.get_by_label("Code").fill(f"{code:06d}")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text("Sam Sysadmin")
    expect(page.locator(".who")).to_contain_text("Acme Data Centres")
