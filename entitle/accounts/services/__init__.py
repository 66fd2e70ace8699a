"""Every change to companies, users, invitations, API tokens and service accounts.

sso.py: companies' identity providers and signing in through them;
mfa.py: two-factor sign-in (an authenticator app, recovery codes).
"""

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from entitle.accounts import scopes as scope_catalogue
from entitle.accounts.errors import (
    AccountExists,
    AlreadyInvited,
    EmailInvalid,
    EmailRequired,
    ExpiryInPast,
    InvitationExpired,
    InvitationRevoked,
    InvitationUsed,
    NameRequired,
    PasswordRejected,
    ScopeNotGrantable,
    ScopesInvalid,
    SessionRequired,
    TokenNameRequired,
)
from entitle.accounts.events import UserJoined
from entitle.accounts.models import (
    SERVICE_ACCOUNT_DOMAIN,
    ApiToken,
    Company,
    Invitation,
    User,
    hash_token,
    normalize_email,
)
from entitle.accounts.selectors import invitation_get, invitation_token
from entitle.core import hooks, links, ratelimit
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.mail import send_after_commit
from entitle.core.policy import Action


def _invitation_state(invitation: Invitation) -> dict:
    return {"email": invitation.email, "status": invitation.status}


def clean_invitation_email(raw: str | None) -> str:
    """The address to invite, or the DOMAIN.md error for an empty or malformed one."""
    email = normalize_email(raw or "")
    if not email:
        raise EmailRequired(field="email")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise EmailInvalid(field="email") from exc
    return email


def _count_invitation_sent(actor: Actor) -> None:
    ratelimit.hit(
        f"invite:user:{actor.user.pk}",
        limit=settings.ENTITLE["INVITATION_RATE"],
        window_seconds=3600,
        message="You have sent a lot of invitations in the last hour. Please try again later.",
    )


def _send_invitation_mail(invitation: Invitation) -> None:
    link = links.portal_url("accounts:join", invitation_token(invitation))
    send_after_commit(
        to=[invitation.email],
        template="accounts/email/invitation",
        context={"invitation": invitation, "link": link},
    )


def invitation_create(*, actor: Actor, email: str | None) -> Invitation:
    """Invite a co-worker into the actor's company and mail them a registration link."""
    if not actor.is_authenticated:
        raise NotFound()
    email = clean_invitation_email(email)
    _count_invitation_sent(actor)
    now = timezone.now()
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            raise AlreadyInvited(field="email")
        # A pending invitation that ran out no longer counts as "already invited".
        for stale in Invitation.objects.select_for_update().filter(
            email=email, status=Invitation.Status.PENDING, expires_at__lte=now
        ):
            stale.mark_expired()
            stale.save(update_fields=["status"])
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    company=actor.company,
                    email=email,
                    invited_by=actor.user,
                    created_at=now,
                    expires_at=now + timedelta(days=settings.ENTITLE["INVITATION_DAYS"]),
                )
        except IntegrityError as exc:
            # The partial unique index: another pending invitation exists (perhaps made by a
            # concurrent request a moment ago).
            raise AlreadyInvited(field="email") from exc
        record(
            actor=actor,
            action=AuditAction.INVITATION_CREATED,
            obj=invitation,
            company=actor.company,
            after=_invitation_state(invitation),
        )
        _send_invitation_mail(invitation)
    return invitation


def invitation_resend(*, actor: Actor, public_id: str) -> Invitation:
    with transaction.atomic():
        invitation = invitation_get(actor=actor, public_id=public_id, action=Action.CHANGE)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        check_invitation_open(invitation)
        _count_invitation_sent(actor)
        record(
            actor=actor,
            action=AuditAction.INVITATION_RESENT,
            obj=invitation,
            company=invitation.company,
            after=_invitation_state(invitation),
        )
        _send_invitation_mail(invitation)
    return invitation


def invitation_revoke(*, actor: Actor, public_id: str) -> Invitation:
    with transaction.atomic():
        invitation = invitation_get(actor=actor, public_id=public_id, action=Action.CHANGE)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        check_invitation_open(invitation)
        before = _invitation_state(invitation)
        invitation.mark_revoked(timezone.now())
        invitation.save(update_fields=["status", "revoked_at"])
        record(
            actor=actor,
            action=AuditAction.INVITATION_REVOKED,
            obj=invitation,
            company=invitation.company,
            before=before,
            after=_invitation_state(invitation),
        )
    return invitation


def check_invitation_open(invitation: Invitation) -> None:
    """Raise the reason an invitation can no longer be used, if it cannot."""
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationUsed()
    if invitation.status == Invitation.Status.REVOKED:
        raise InvitationRevoked()
    if invitation.status == Invitation.Status.EXPIRED or invitation.is_expired():
        raise InvitationExpired()


def invitation_accept(*, invitation: Invitation, name: str, password: str) -> User:
    """Register the invitee into the inviter's company. The link is single-use."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        check_invitation_open(invitation)
        user = user_register(
            company=invitation.company,
            email=invitation.email,
            name=name,
            password=password,
            through=f"invitation {invitation.public_id}",
        )
        invitation.mark_accepted(user, timezone.now())
        invitation.save(update_fields=["status", "accepted_user", "accepted_at"])
        record(
            actor=Actor.for_user(user),
            action=AuditAction.INVITATION_ACCEPTED,
            obj=invitation,
            company=invitation.company,
            before={"status": Invitation.Status.PENDING},
            after=_invitation_state(invitation),
        )
    return user


def _token_account(*, actor: Actor, service_account_id: int | None) -> User:
    """The account a new token acts as: the creator, or a service account of their company."""
    if service_account_id is None:
        return actor.user
    try:
        return User.objects.visible_to(actor, Action.CHANGE).get(
            pk=service_account_id, company=actor.company, is_service_account=True, is_active=True
        )
    except User.DoesNotExist as exc:
        raise NotFound("No such service account.") from exc


def _clean_scopes(*, actor: Actor, account: User, scopes: Iterable[str]) -> list[str]:
    """The requested scopes, in catalogue order. A token never has more rights than its
    account or its creator: the back office's scopes only when both are vendor staff."""
    wanted = set(scopes or ())
    unknown = wanted - set(scope_catalogue.ALL)
    if not wanted or unknown:
        message = f"Unknown scope: {', '.join(sorted(unknown))}." if unknown else None
        raise ScopesInvalid(message, field="scopes")
    staff = actor.is_vendor_staff and account.is_vendor_staff
    if not staff and any(scope_catalogue.is_back_office(s) for s in wanted):
        raise ScopeNotGrantable(field="scopes")
    return [s for s in scope_catalogue.ALL if s in wanted]


def api_token_create(
    *,
    actor: Actor,
    name: str,
    scopes: Iterable[str],
    service_account_id: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a company API token; the secret is returned here once and never stored.

    Company administrators make tokens, from a portal session only (a token cannot mint
    tokens), for themselves or for one of the company's service accounts."""
    if actor.token is not None:
        raise SessionRequired()
    if not actor.is_company_admin:
        raise NotFound()
    name = (name or "").strip()
    if not name:
        raise TokenNameRequired(field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ExpiryInPast(field="expires_at")
    secret = "ent_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        account = _token_account(actor=actor, service_account_id=service_account_id)
        granted = _clean_scopes(actor=actor, account=account, scopes=scopes)
        token = ApiToken.objects.create(
            company=actor.company,
            created_by=actor.user,
            user=account,
            name=name[:100],
            prefix=secret[:10],
            key_hash=hash_token(secret),
            scopes=granted,
            expires_at=expires_at,
        )
        record(
            actor=actor,
            action=AuditAction.API_TOKEN_CREATED,
            obj=token,
            company=actor.company,
            after={
                "name": token.name,
                "prefix": token.prefix,
                "acts_as": account.email,
                "scopes": granted,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return token, secret


def api_token_record_use(token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute: a write on every request would
    cost more than it tells. Not audited: it is usage, not a change."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    with transaction.atomic():
        try:
            token = (
                ApiToken.objects.visible_to(actor, Action.CHANGE)
                .select_for_update()
                .get(pk=token_id)
            )
        except ApiToken.DoesNotExist as exc:
            raise NotFound("No such token.") from exc
        if token.revoked_at is None:
            token.mark_revoked(timezone.now())
            token.save(update_fields=["revoked_at"])
            record(
                actor=actor,
                action=AuditAction.API_TOKEN_REVOKED,
                obj=token,
                company=token.company,
                before={"revoked": False},
                after={"revoked": True},
            )
    return token


def service_account_create(
    *, actor: Actor, name: str, role: str = User.Role.MEMBER, back_office: bool = False
) -> User:
    """An account for another system (the vendor's ERP, a partner's system): it belongs to the
    company, acts only through API tokens, and never signs in (it has no password). Its rights
    never exceed its creator's: only an administrator makes one, and only vendor staff make
    one with the back office's rights."""
    if actor.token is not None:
        raise SessionRequired()
    if not actor.is_company_admin:
        raise NotFound()
    name = (name or "").strip()
    if not name:
        raise NameRequired("Please give the service account a name", field="name")
    if back_office and not actor.is_vendor_staff:
        raise ScopeNotGrantable(
            "Only vendor staff can make a service account with back-office rights.",
            field="back_office",
        )
    role = User.Role(role)
    email = f"service-{secrets.token_hex(6)}@{SERVICE_ACCOUNT_DOMAIN}"
    with transaction.atomic():
        account = User.objects.create_user(
            email,
            None,
            name=name[:150],
            company=actor.company,
            role=role,
            is_staff=back_office,
            is_service_account=True,
        )
        record(
            actor=actor,
            action=AuditAction.SERVICE_ACCOUNT_CREATED,
            obj=account,
            company=actor.company,
            after={"name": account.name, "role": role, "back_office": back_office},
        )
    return account


def service_account_deactivate(*, actor: Actor, account_id: int) -> User:
    """Switch a service account off: every token acting as it stops working at once."""
    if actor.token is not None:
        raise SessionRequired()
    with transaction.atomic():
        try:
            account = (
                User.objects.visible_to(actor, Action.CHANGE)
                .select_for_update()
                .get(pk=account_id, is_service_account=True)
            )
        except User.DoesNotExist as exc:
            raise NotFound("No such service account.") from exc
        if account.is_active:
            account.is_active = False
            account.save(update_fields=["is_active"])
            record(
                actor=actor,
                action=AuditAction.SERVICE_ACCOUNT_DEACTIVATED,
                obj=account,
                company=account.company,
                before={"is_active": True},
                after={"is_active": False},
            )
    return account


def company_create(
    *,
    actor: Actor | None,
    name: str,
    is_vendor: bool = False,
    is_partner: bool = False,
    country: str = "",
) -> Company:
    """A new company (an account). `actor` is None only for the system itself (set-up, demo)."""
    with transaction.atomic():
        company = Company.objects.create(
            name=name, is_vendor=is_vendor, is_partner=is_partner, country=country
        )
        record(
            actor=actor or Actor.anonymous(),
            action=AuditAction.COMPANY_CREATED,
            obj=company,
            company=company,
            after={"name": name, "is_vendor": is_vendor, "is_partner": is_partner},
        )
    return company


def user_create(
    *,
    actor: Actor | None,
    company: Company,
    email: str,
    name: str,
    password: str,
    role: str = User.Role.MEMBER,
    is_staff: bool = False,
) -> User:
    """A user created by the back office or the system; people join through `user_register`."""
    with transaction.atomic():
        user = _create_user(
            company=company, email=email, name=name, password=password, role=role, is_staff=is_staff
        )
        record(
            actor=actor or Actor.anonymous(),
            action=AuditAction.USER_CREATED,
            obj=user,
            company=company,
            after={"email": user.email, "name": name, "role": role, "is_staff": is_staff},
        )
    return user


def user_register(
    *,
    company: Company,
    email: str,
    name: str,
    password: str | None,
    through: str,
    role: str = User.Role.MEMBER,
) -> User:
    """A person registers into `company` through a link mailed to `email` (an invitation, a
    shared licence, a renewal reminder) or through their company's identity provider (then
    without a password): `through` says which, for the audit trail."""
    name = (name or "").strip()
    if not name:
        raise NameRequired(field="name")
    email = normalize_email(email)
    candidate = User(email=email, name=name, company=company)
    if password is not None:
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            raise PasswordRejected(" ".join(exc.messages), field="password") from exc
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            raise AccountExists()
        try:
            with transaction.atomic():
                user = _create_user(
                    company=company, email=email, name=name[:150], password=password, role=role
                )
        except IntegrityError as exc:
            # The address registered a moment ago, in another request.
            raise AccountExists() from exc
        record(
            actor=Actor.for_user(user),
            action=AuditAction.USER_REGISTERED,
            obj=user,
            company=company,
            after={"email": user.email, "name": user.name, "through": through},
        )
    return user


def _create_user(
    *,
    company: Company,
    email: str,
    name: str,
    password: str | None,
    role: str,
    is_staff: bool = False,
) -> User:
    user = User.objects.create_user(
        email, password, name=name, company=company, role=role, is_staff=is_staff
    )
    hooks.emit(UserJoined(actor=Actor.for_user(user), user=user))
    return user
