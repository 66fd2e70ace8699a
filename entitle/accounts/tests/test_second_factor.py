"""Two-factor sign-in: an authenticator app (TOTP) and recovery codes; a company may require
it; the back office requires it of vendor staff; wrong codes are limited like passwords."""

import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, actor_of
from entitle.accounts.errors import SecondFactorRequired
from entitle.accounts.models import User
from entitle.accounts.services import mfa
from entitle.core.audit import AuditAction
from entitle.core.models import AuditEvent


def code_of(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    enrolment = mfa.enrolment_begin(user=user)
    codes = mfa.enrolment_confirm(
        user=user, device_id=enrolment.device.pk, code=code_of(enrolment.device), client="t"
    )
    return TOTPDevice.objects.get(pk=enrolment.device.pk), codes


def password_step(client: Client, email: str):
    return client.post("/login/", {"username": email, "password": PASSWORD})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_setting_up_the_app_on_the_security_page_shows_recovery_codes_once(acme_member, login):
    client = login(acme_member)
    page = client.get("/settings/security/enrol/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=acme_member, confirmed=False)
    assert "<svg" in page and secret in device.config_url
    wrong = client.post("/settings/security/enrol/", {"code": "000000"})
    assert wrong.status_code == 422 and "This code is not right." in wrong.content.decode()
    done = client.post("/settings/security/enrol/", {"code": code_of(device)}).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done)
    assert len(codes) == 10
    page = client.get("/settings/security/").content.decode()
    assert "10 recovery codes left" in page and codes[0] not in page
    assert AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_ENABLED).exists()


def test_signing_in_takes_the_code_after_the_password(acme_member, clock):
    device, _ = enrolled(acme_member)
    client = Client()
    first = password_step(client, "sam@acme.example")
    assert first.url == "/login/code/"
    assert not signed_in(client)
    assert client.get("/coworkers/").status_code == 302  # nothing is open yet
    wrong = client.post("/login/code/", {"code": "123456"})
    assert "This code is not right." in wrong.content.decode() and not signed_in(client)
    clock.shift(30)
    done = client.post("/login/code/", {"code": code_of(device)})
    assert done.status_code == 302 and signed_in(client)
    assert client.get("/coworkers/").status_code == 200
    # The same code cannot be used twice.
    again = Client()
    password_step(again, "sam@acme.example")
    assert (
        "This code is not right."
        in again.post("/login/code/", {"code": code_of(device)}).content.decode()
    )


def test_a_recovery_code_works_once(acme_member):
    _, codes = enrolled(acme_member)
    for expected in (True, False):
        client = Client()
        password_step(client, "sam@acme.example")
        client.post("/login/code/", {"code": codes[0]})
        assert signed_in(client) is expected
    assert mfa.recovery_codes_left(acme_member) == 9
    assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODE_USED).count() == 1


def test_wrong_codes_are_limited_per_account_and_client_like_passwords(
    acme_member, settings, clock
):
    settings.ENTITLE = {**settings.ENTITLE, "LOGIN_FAILURES_PER_ACCOUNT": 4}
    device, _ = enrolled(acme_member)
    clock.shift(30)
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    password_step(guesser, "sam@acme.example")
    for _ in range(4):
        guesser.post("/login/code/", {"code": "000000"})
    limited = guesser.post("/login/code/", {"code": code_of(device)})
    assert "Too many failed attempts to sign in from here." in limited.content.decode()
    assert not signed_in(guesser)
    owner = Client(REMOTE_ADDR="198.51.100.1")
    password_step(owner, "sam@acme.example")
    owner.post("/login/code/", {"code": code_of(device)})
    assert signed_in(owner)


def test_a_company_that_requires_it_signs_people_out_and_has_them_set_it_up(
    acme_admin, acme_member, login
):
    session = login(acme_member)
    assert session.get("/coworkers/").status_code == 200
    admin = login(acme_admin)
    admin.post("/settings/security/require/", {"required": "on"})
    assert AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_POLICY_CHANGED).exists()
    # The member's session began without a second factor: it ends.
    assert session.get("/coworkers/").status_code == 302
    assert not signed_in(session)
    client = Client()
    assert password_step(client, "sam@acme.example").url == "/login/code/"
    page = client.get("/login/code/").content.decode()
    assert "requires a second factor" in page and "<svg" in page
    device = TOTPDevice.objects.get(user=acme_member, confirmed=False)
    done = client.post("/login/code/", {"code": code_of(device)})
    assert "Your recovery codes" in done.content.decode() and signed_in(client)
    with pytest.raises(SecondFactorRequired):
        member = User.objects.get(pk=acme_member.pk)
        mfa.second_factor_disable(actor=actor_of(member), code="x", client="t")


def test_the_back_office_needs_staff_signed_in_with_a_second_factor(vendor_staff, clock):
    without = Client()
    password_step(without, vendor_staff.email)
    assert signed_in(without)  # the portal is open to staff without one…
    answer = without.get("/admin/")
    assert answer.status_code == 302
    assert without.get(answer.url).url == "/settings/security/"  # …the back office is not
    device, _ = enrolled(vendor_staff)
    clock.shift(30)
    client = Client()
    assert password_step(client, vendor_staff.email).url == "/login/code/"
    client.post("/login/code/", {"code": code_of(device)})
    assert client.get("/admin/").status_code == 200
    # The back office has no log-in page of its own: it is the portal's.
    assert Client().get("/admin/login/?next=/admin/").url == "/login/?next=%2Fadmin%2F"
