"""Single sign-on end to end against a real OpenID Connect provider on localhost
(oidc-provider-mock): discovery, the authorization-code flow, the ID token's signature and
claims, and what the company may and may not sign people into."""

from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client

from conftest import PASSWORD, actor_of
from entitle.accounts.errors import DomainTaken, IssuerUnusable
from entitle.accounts.models import ExternalIdentity, User
from entitle.accounts.services import sso
from entitle.core.audit import AuditAction
from entitle.core.models import AuditEvent
from entitle.core.outbound import TargetRefused


@pytest.fixture(autouse=True)
def local_provider_allowed(settings):
    settings.ENTITLE = {**settings.ENTITLE, "ALLOW_PRIVATE_TARGETS": True}


@pytest.fixture
def acme_sso(acme_admin, oidc_provider):
    return sso.provider_save(
        actor=actor_of(acme_admin),
        company=acme_admin.company,
        issuer=oidc_provider,
        client_id="entitle-portal",
        client_secret="a-client-secret",
        domains="acme.example, acme-labs.example",
    )


def sign_in_through_provider(client: Client, provider: str, email: str, claims: dict):
    """What a browser does: start on the portal, authorize at the provider, come back."""
    start = client.post("/login/sso/", {"email": email})
    assert start.status_code == 302, start.content.decode()
    assert start.url.startswith(f"{provider}/oauth2/authorize?")
    subject = claims["sub"]
    httpx.put(f"{provider}/users/{subject}", json={k: v for k, v in claims.items() if k != "sub"})
    authorized = httpx.post(start.url, data={"sub": subject})
    back = urlsplit(authorized.headers["location"])
    assert back.path == "/login/sso/callback/"
    return client.get(f"{back.path}?{back.query}")


def test_a_first_sign_in_creates_the_account_in_the_company_and_the_next_one_finds_it(
    acme_sso, oidc_provider
):
    claims = {"sub": "u-1001", "email": "new.person@acme.example", "name": "New Person"}
    client = Client()
    done = sign_in_through_provider(client, oidc_provider, "new.person@acme.example", claims)
    assert done.status_code == 302 and done.url == "/"
    user = User.objects.get(email="new.person@acme.example")
    assert (user.company, user.name, user.has_usable_password()) == (
        acme_sso.company,
        "New Person",
        False,
    )
    assert client.get("/coworkers/").status_code == 200
    registered = AuditEvent.objects.get(action=AuditAction.USER_REGISTERED, object_id=user.pk)
    assert registered.after["through"] == f"single sign-on ({oidc_provider})"
    assert ExternalIdentity.objects.get(subject="u-1001").user == user
    # Signing in again finds the same account by the provider's subject.
    again = Client()
    sign_in_through_provider(again, oidc_provider, "new.person@acme.example", claims)
    assert "_auth_user_id" in again.session
    assert User.objects.filter(email="new.person@acme.example").count() == 1


def test_an_existing_account_of_the_company_is_linked(acme_sso, acme_member, oidc_provider):
    claims = {"sub": "u-sam", "email": "sam@acme.example"}
    client = Client()
    sign_in_through_provider(client, oidc_provider, "sam@acme.example", claims)
    assert client.session["_auth_user_id"] == str(acme_member.pk)


def test_a_provider_never_signs_anyone_into_another_company(acme_sso, globex_admin, oidc_provider):
    # The provider vouches for an address of Globex: refused, whatever it claims.
    client = Client()
    claims = {"sub": "u-evil", "email": "grace@globex.example"}
    answer = sign_in_through_provider(client, oidc_provider, "someone@acme.example", claims)
    assert answer.status_code == 403
    assert "not an address of Acme Data Centres" in answer.content.decode()
    assert "_auth_user_id" not in client.session
    # Nor can a company claim a domain that another company's people use.
    with pytest.raises(DomainTaken):
        sso.provider_save(
            actor=actor_of(acme_sso.company.users.get(role="admin")),
            company=acme_sso.company,
            issuer=oidc_provider,
            client_id="x",
            client_secret="y",
            domains="acme.example globex.example",
        )


def test_an_unverified_address_is_refused(acme_sso, oidc_provider):
    claims = {"sub": "u-2", "email": "unverified@acme.example", "email_verified": False}
    answer = sign_in_through_provider(Client(), oidc_provider, "unverified@acme.example", claims)
    assert "has not verified your e-mail address" in answer.content.decode()
    assert not User.objects.filter(email="unverified@acme.example").exists()


def test_sso_only_turns_passwords_off_for_the_company(acme_sso, acme_member, oidc_provider):
    sso.provider_save(
        actor=actor_of(acme_sso.company.users.get(role="admin")),
        company=acme_sso.company,
        issuer=oidc_provider,
        client_id="entitle-portal",
        client_secret="",
        domains="acme.example",
        sso_only=True,
    )
    refused = Client().post("/login/", {"username": "sam@acme.example", "password": PASSWORD})
    assert "signs in through its identity provider" in refused.content.decode()
    client = Client()
    sign_in_through_provider(
        client, oidc_provider, "sam@acme.example", {"sub": "u-sam", "email": "sam@acme.example"}
    )
    assert client.session["_auth_user_id"] == str(acme_member.pk)


def test_an_address_without_single_sign_on_is_told_to_use_its_password(acme_sso):
    answer = Client().post("/login/sso/", {"email": "someone@elsewhere.example"})
    assert answer.status_code == 404
    assert "Single sign-on is not set up for this address." in answer.content.decode()


def test_the_provider_is_checked_when_it_is_saved(acme_admin, oidc_provider, settings):
    admin = actor_of(acme_admin)
    save = dict(
        actor=admin,
        company=acme_admin.company,
        client_id="c",
        client_secret="s",
        domains="acme.example",
    )
    with pytest.raises(IssuerUnusable):
        # Not an OpenID Connect provider: no discovery document there.
        sso.provider_save(issuer=f"{oidc_provider}/nothing-here", **save)
    with pytest.raises(IssuerUnusable):
        sso.provider_save(issuer="http://127.0.0.1:9/", **save)
    settings.ENTITLE = {**settings.ENTITLE, "ALLOW_PRIVATE_TARGETS": False}
    with pytest.raises(TargetRefused):
        sso.provider_save(issuer=oidc_provider, **save)


def test_the_settings_page_saves_the_provider_without_showing_its_secret(
    acme_admin, acme_member, login, oidc_provider
):
    client = login(acme_admin)
    page = client.get("/settings/sso/").content.decode()
    assert "/login/sso/callback/" in page
    saved = client.post(
        "/settings/sso/",
        {
            "issuer": oidc_provider,
            "client_id": "entitle-portal",
            "client_secret": "a-client-secret",
            "domains": "acme.example",
            "enabled": "on",
        },
    )
    assert saved.status_code == 302
    page = client.get("/settings/sso/").content.decode()
    assert "acme.example" in page and "a-client-secret" not in page
    assert (
        "Only your company's administrators"
        in login(acme_member).get("/settings/sso/").content.decode()
    )


def test_vendor_staff_set_a_customer_up_through_the_api(acme, vendor_staff, login, oidc_provider):
    staff = login(vendor_staff)
    path = f"/api/v1/companies/{acme.pk}/identity-provider"
    assert staff.get(path).status_code == 404
    body = {
        "issuer": oidc_provider,
        "client_id": "entitle-portal",
        "client_secret": "a-client-secret",
        "domains": ["acme.example"],
    }
    saved = staff.put(path, body, content_type="application/json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["domains"] == ["acme.example"]
    assert saved.json()["redirect_uri"].endswith("/login/sso/callback/")
    assert "client_secret" not in saved.json()
    bad = staff.put(path, {**body, "domains": ["not a domain"]}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, "domains_invalid")
