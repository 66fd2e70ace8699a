import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from conftest import actor_of
from entitle.accounts import errors, selectors, services
from entitle.accounts.models import Invitation, User
from entitle.core.errors import NotFound, RateLimited
from entitle.core.models import AuditEvent

REQUIRED = "Please enter email address"
INVALID = "You have entered an invalid email address. Please re-enter the email address."
DUPLICATE = (
    "This co-worker has already been invited to the portal. Please invite another co-worker."
)


def invite(user, email, capture):
    with capture(execute=True):
        return services.invitation_create(actor=actor_of(user), email=email)


def link_token(message) -> str:
    return re.search(r"/join/([^/\s]+)/", message.body).group(1)


@pytest.mark.parametrize(
    ("email", "error", "message"),
    [
        ("", errors.EmailRequired, REQUIRED),
        ("   ", errors.EmailRequired, REQUIRED),
        (None, errors.EmailRequired, REQUIRED),
        ("not-an-address", errors.EmailInvalid, INVALID),
        ("a@b", errors.EmailInvalid, INVALID),
        ("two@@example.com", errors.EmailInvalid, INVALID),
        ("x y@example.com", errors.EmailInvalid, INVALID),
    ],
)
def test_bad_addresses_get_the_exact_domain_message(acme_admin, email, error, message):
    with pytest.raises(error) as caught:
        services.invitation_create(actor=actor_of(acme_admin), email=email)
    assert caught.value.message == message
    assert caught.value.field == "email"
    assert not Invitation.objects.exists()


def test_invitation_is_mailed_after_commit_with_a_working_link(
    acme_admin, django_capture_on_commit_callbacks
):
    invitation = invite(acme_admin, "  New.Person@Example.COM ", django_capture_on_commit_callbacks)
    assert invitation.email == "new.person@example.com"
    assert invitation.company == acme_admin.company
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    [message] = mail.outbox
    assert message.to == ["new.person@example.com"]
    assert "Olivia Owner" in message.subject
    assert selectors.invitation_from_token(link_token(message)) == invitation


def test_no_mail_when_nothing_commits(acme_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invitation_create(actor=actor_of(acme_admin), email="x@example.com")
    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.parametrize("again", ["friend@example.com", "FRIEND@example.com"])
def test_a_second_invitation_to_the_same_address_is_refused(
    acme_admin, acme_member, again, django_capture_on_commit_callbacks
):
    invite(acme_admin, "friend@example.com", django_capture_on_commit_callbacks)
    with pytest.raises(errors.AlreadyInvited) as caught:
        services.invitation_create(actor=actor_of(acme_member), email=again)
    assert caught.value.message == DUPLICATE
    assert Invitation.objects.count() == 1


def test_an_existing_user_cannot_be_invited_even_by_another_company(acme_member, globex_admin):
    with pytest.raises(errors.AlreadyInvited) as caught:
        services.invitation_create(actor=actor_of(globex_admin), email="SAM@acme.example")
    assert caught.value.message == DUPLICATE


def test_an_expired_invitation_can_be_sent_again(acme_admin, django_capture_on_commit_callbacks):
    first = invite(acme_admin, "late@example.com", django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=14, seconds=1)):
        second = invite(acme_admin, "late@example.com", django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.status == Invitation.Status.EXPIRED
    assert second.status == Invitation.Status.PENDING


def test_invitee_registers_into_the_inviters_company_once(
    acme_admin, django_capture_on_commit_callbacks
):
    invite(acme_admin, "new@example.com", django_capture_on_commit_callbacks)
    invitation = selectors.invitation_from_token(link_token(mail.outbox[0]))
    user = services.invitation_accept(
        invitation=invitation, name="New Person", password="zq-8-long-Secret"
    )
    assert user.company == acme_admin.company
    assert user.role == User.Role.MEMBER
    assert user.check_password("zq-8-long-Secret")
    with pytest.raises(errors.InvitationUsed):
        services.invitation_accept(invitation=invitation, name="Again", password="zq-8-long-Secret")
    assert User.objects.filter(email="new@example.com").count() == 1


def test_an_expired_link_cannot_be_used(acme_admin, django_capture_on_commit_callbacks):
    invitation = invite(acme_admin, "slow@example.com", django_capture_on_commit_callbacks)
    with (
        time_machine.travel(invitation.expires_at),
        pytest.raises(errors.InvitationExpired) as caught,
    ):
        services.invitation_accept(invitation=invitation, name="Slow", password="zq-8-long-Secret")
    assert "expired" in caught.value.message
    assert not User.objects.filter(email="slow@example.com").exists()


def test_a_forged_or_altered_link_is_not_found(acme_admin, django_capture_on_commit_callbacks):
    invite(acme_admin, "a@example.com", django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])
    for bad in [token[:-1] + ("A" if token[-1] != "A" else "B"), "nonsense", ""]:
        with pytest.raises(errors.InvitationNotFound):
            selectors.invitation_from_token(bad)


def test_registration_checks_name_and_password(acme_admin, django_capture_on_commit_callbacks):
    invitation = invite(acme_admin, "b@example.com", django_capture_on_commit_callbacks)
    with pytest.raises(errors.NameRequired):
        services.invitation_accept(invitation=invitation, name=" ", password="zq-8-long-Secret")
    with pytest.raises(errors.PasswordRejected) as caught:
        services.invitation_accept(invitation=invitation, name="B", password="123")
    assert caught.value.field == "password"
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_revoked_invitation_cannot_be_used_and_frees_the_address(
    acme_admin, django_capture_on_commit_callbacks
):
    invitation = invite(acme_admin, "c@example.com", django_capture_on_commit_callbacks)
    services.invitation_revoke(actor=actor_of(acme_admin), public_id=invitation.public_id)
    with pytest.raises(errors.InvitationRevoked):
        services.invitation_accept(invitation=invitation, name="C", password="zq-8-long-Secret")
    with pytest.raises(errors.InvitationRevoked):
        services.invitation_revoke(actor=actor_of(acme_admin), public_id=invitation.public_id)
    assert invite(acme_admin, "c@example.com", django_capture_on_commit_callbacks).is_open()


def test_only_the_inviter_or_an_administrator_may_revoke(
    acme, acme_admin, acme_member, make_user, globex_admin, django_capture_on_commit_callbacks
):
    colleague = make_user(acme)
    by_member = invite(acme_member, "d@example.com", django_capture_on_commit_callbacks)
    with pytest.raises(NotFound):
        services.invitation_revoke(actor=actor_of(colleague), public_id=by_member.public_id)
    with pytest.raises(NotFound):
        services.invitation_revoke(actor=actor_of(globex_admin), public_id=by_member.public_id)
    services.invitation_revoke(actor=actor_of(acme_admin), public_id=by_member.public_id)


def test_invitations_are_rate_limited_per_user(
    acme_admin, acme_member, settings, django_capture_on_commit_callbacks
):
    settings.ENTITLE = {**settings.ENTITLE, "INVITATION_RATE": 3}
    for n in range(3):
        invite(acme_admin, f"r{n}@example.com", django_capture_on_commit_callbacks)
    with pytest.raises(RateLimited):
        services.invitation_create(actor=actor_of(acme_admin), email="r9@example.com")
    # Another user is not held back by the first one's limit, and the hour passes.
    invite(acme_member, "r9@example.com", django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        invite(acme_admin, "r10@example.com", django_capture_on_commit_callbacks)


def test_every_change_is_audited(acme_admin, django_capture_on_commit_callbacks):
    invitation = invite(acme_admin, "e@example.com", django_capture_on_commit_callbacks)
    services.invitation_accept(invitation=invitation, name="E", password="zq-8-long-Secret")
    events = list(
        AuditEvent.objects.filter(object_type="accounts.invitation")
        .order_by("id")
        .values_list("action", "actor_user__email", "company__name", "after__status")
    )
    assert events == [
        ("invitation.created", "olivia@acme.example", "Acme Data Centres", "pending"),
        ("invitation.accepted", "e@example.com", "Acme Data Centres", "accepted"),
    ]


def test_listing_shows_only_the_own_companys_invitations(
    acme_admin, globex_admin, django_capture_on_commit_callbacks
):
    mine = invite(acme_admin, "f@example.com", django_capture_on_commit_callbacks)
    theirs = invite(globex_admin, "g@example.com", django_capture_on_commit_callbacks)
    assert list(selectors.invitation_list(actor=actor_of(acme_admin))) == [mine]
    with pytest.raises(NotFound):
        selectors.invitation_get(actor=actor_of(acme_admin), public_id=theirs.public_id)
