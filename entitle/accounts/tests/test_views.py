import re

import pytest
from django.core import mail
from django.test import Client

from conftest import PASSWORD, actor_of
from entitle.accounts import services
from entitle.accounts.models import Invitation, User

HTMX = {"HX-Request": "true"}


def test_login_is_by_email_whatever_its_case(acme_admin):
    client = Client()
    response = client.post("/login/", {"username": "OLIVIA@acme.example", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    wrong = Client().post("/login/", {"username": "olivia@acme.example", "password": "nope"})
    assert "Please enter a correct email address and password." in wrong.content.decode()


def test_pages_need_a_login(db):
    for url in ["/", "/coworkers/", "/coworkers/invite/", "/settings/api-tokens/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_coworkers_page_lists_own_members_and_pending_invitations(
    acme_admin, acme_member, globex_admin, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(actor=actor_of(acme_admin), email="pending@example.com")
        services.invitation_create(actor=actor_of(globex_admin), email="other@example.com")
    page = login(acme_member).get("/coworkers/").content.decode()
    assert "sam@acme.example" in page and "olivia@acme.example" in page
    assert "pending@example.com" in page
    assert "grace@globex.example" not in page and "other@example.com" not in page


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Please enter email address"),
        ("bad@", "You have entered an invalid email address. Please re-enter the email address."),
        (
            "sam@acme.example",
            "This co-worker has already been invited to the portal. "
            "Please invite another co-worker.",
        ),
    ],
)
def test_the_dialog_shows_each_error_next_to_the_field(
    acme_admin, acme_member, login, email, message
):
    response = login(acme_admin).post("/coworkers/invite/", {"email": email}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code in (409, 422)
    assert f'<p class="field-error" id="email-error" role="alert">{message}</p>' in body
    assert 'class="dialog-body"' in body and "<html" not in body


def test_the_dialog_confirms_and_refreshes_the_list(
    acme_admin, login, django_capture_on_commit_callbacks
):
    client = login(acme_admin)
    dialog = client.get(
        "/coworkers/invite/", headers={**HTMX, "HX-Target": "dialog-slot"}
    ).content.decode()
    assert "<dialog" in dialog
    assert "Send Invite" in dialog and "Cancel" in dialog
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/coworkers/invite/", {"email": "new@example.com"}, headers=HTMX)
    body = response.content.decode()
    assert "Invitation Sent" in body and "Your invitation was sent." in body
    assert "Send New Invite" in body and "Close" in body
    assert "invitations-changed" in response["HX-Trigger"]
    assert len(mail.outbox) == 1


def test_without_htmx_the_invite_page_works_as_a_plain_form(
    acme_admin, login, django_capture_on_commit_callbacks
):
    client = login(acme_admin)
    assert "<html" in client.get("/coworkers/invite/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/coworkers/invite/", {"email": "plain@example.com"}, follow=True)
    assert "Invitation Sent — Your invitation was sent." in response.content.decode()


def test_revoking_another_companys_invitation_is_not_found(
    acme_admin, globex_admin, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        theirs = services.invitation_create(actor=actor_of(globex_admin), email="o@example.com")
    response = login(acme_admin).post(
        f"/coworkers/invitations/{theirs.public_id}/revoke/", headers=HTMX
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Invitation.Status.PENDING


def test_join_page_registers_and_logs_in(acme_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(actor=actor_of(acme_admin), email="joiner@example.com")
    link = re.search(r"http://[^\s]+/join/[^\s]+/", mail.outbox[0].body).group(0)
    path = link.split("8000", 1)[1]
    client = Client()
    assert "Join Acme Data Centres" in client.get(path).content.decode()
    mismatch = client.post(
        path, {"name": "J", "password": "zq-8-long-Secret", "password_again": "x"}
    )
    assert "The two passwords do not match." in mismatch.content.decode()
    done = client.post(
        path,
        {"name": "Joiner", "password": "zq-8-long-Secret", "password_again": "zq-8-long-Secret"},
    )
    assert done.status_code == 302
    assert User.objects.get(email="joiner@example.com").company == acme_admin.company
    assert "Acme Data Centres" in client.get("/").content.decode()
    reused = Client().get(path)
    assert reused.status_code == 410
    assert "already been used" in reused.content.decode()


def test_api_token_is_shown_once_and_can_be_revoked(acme_admin, acme_member, login):
    client = login(acme_admin)
    created = client.post(
        "/settings/api-tokens/", {"name": "Monitoring", "area_accounts": "read"}
    ).content.decode()
    secret = re.search(r'id="new-token">(ent_[^<]+)<', created).group(1)
    assert secret not in client.get("/settings/api-tokens/").content.decode()
    api = Client(headers={"authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/coworkers").status_code == 200
    token_id = acme_admin.company.api_tokens.get().pk
    client.post(f"/settings/api-tokens/{token_id}/revoke/")
    assert api.get("/api/v1/coworkers").status_code == 401
    member_page = login(acme_member).get("/settings/api-tokens/").content.decode()
    assert "Only your company's administrators manage API tokens." in member_page


def test_password_reset_mails_a_working_link(acme_member, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password-reset/", {"email": "SAM@acme.example"})
    [message] = mail.outbox
    path = re.search(r"http://[^/]+(/password-reset/\S+/)", message.body).group(1)
    form = client.get(path, follow=True)
    new = "another-Long-passw0rd"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert Client().login(username="sam@acme.example", password=new)


def test_back_office_is_for_vendor_staff_only(vendor_staff, acme, make_user, login):
    assert login(vendor_staff).get("/admin/accounts/company/").status_code == 200
    customer_flagged_staff = make_user(acme, is_staff=True)
    assert login(customer_flagged_staff).get("/admin/").status_code == 302
