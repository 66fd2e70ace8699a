"""Two-factor sign-in: a TOTP authenticator app, and single-use recovery codes (django-otp's
TOTP and static devices).

Anyone may turn it on; a company administrator may require it for everyone in the company;
the back office requires it of vendor staff (`EntitleAdminSite`). A person who has it, or whose
company requires it, signs in with a code after their password or single sign-on — enrolling
right there if required and not yet set up. Wrong codes count as failed sign-ins of the account
from that client, under the same limits as passwords.
"""

import io
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import devices_for_user, verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from entitle.accounts import signin
from entitle.accounts.errors import SecondFactorInvalid, SecondFactorRequired
from entitle.accounts.models import Company, User
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.policy import Action

RECOVERY_CODES = 10
APP = "Authenticator app"
RECOVERY = "Recovery codes"


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    uri: str
    secret: str
    qr_svg: str


def user_signing_in(user_id: int) -> User | None:
    """The person between the first step of signing in and the code (the session names them;
    there is no actor yet)."""
    return User.objects.filter(pk=user_id, is_active=True).select_related("company").first()


def second_factor_required(user: User) -> bool:
    return user.company.require_second_factor


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_needed(user: User) -> bool:
    """Whether signing in as `user` takes a code (or, if not yet set up, enrolling)."""
    return second_factor_required(user) or has_second_factor(user)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _check_limit(user: User, client: str) -> None:
    """Codes are sign-in attempts: wrong ones count as failed sign-ins of the account from
    that client (`entitle.accounts.signin`), whose limits block the guesser, not the owner."""
    signin.check(client=client, account=user.email)


def _failed(user: User, client: str) -> None:
    signin.failed(client=client, account=user.email)


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    return out.getvalue().decode()


def enrolment_begin(*, user: User, device_id: int | None = None) -> Enrolment:
    """The authenticator-app secret to scan (the unconfirmed device `device_id` again, if it is
    still the user's, else a new one). Nothing changes for signing in until it is confirmed."""
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=APP, confirmed=False)
    uri = device.config_url
    secret = uri.split("secret=", 1)[1].split("&", 1)[0]
    return Enrolment(device=device, uri=uri, secret=secret, qr_svg=_qr_svg(uri))


def enrolment_confirm(*, user: User, device_id: int, code: str, client: str) -> list[str]:
    """Turn two-factor sign-in on with the first code of the app; returns the recovery codes
    (shown once)."""
    _check_limit(user, client)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=device_id, user=user, confirmed=False)
            .first()
        )
        if device is None or not device.verify_token((code or "").strip()):
            _failed(user, client)
            raise SecondFactorInvalid()
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _issue_recovery_codes(user)
        record(
            actor=Actor.for_user(user),
            action=AuditAction.SECOND_FACTOR_ENABLED,
            obj=user,
            company=user.company,
            after={"method": "totp", "recovery_codes": len(codes)},
        )
    return codes


def _issue_recovery_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_renew(*, actor: Actor, code: str, client: str) -> list[str]:
    """New recovery codes (the old ones stop working), after a current code."""
    user = actor.user
    second_factor_verify(user=user, code=code, client=client)
    with transaction.atomic():
        codes = _issue_recovery_codes(user)
        record(
            actor=actor,
            action=AuditAction.RECOVERY_CODES_ISSUED,
            obj=user,
            company=user.company,
            after={"recovery_codes": len(codes)},
        )
    return codes


def second_factor_verify(*, user: User, code: str, client: str):
    """The device that accepts the code (the app's current code, or an unused recovery code,
    which is then used up), or SecondFactorInvalid. django-otp also slows down a device after
    wrong codes, and refuses a TOTP code used once already."""
    _check_limit(user, client)
    code = "".join((code or "").split())
    for device in devices_for_user(user, confirmed=True):
        verified = verify_token(user, device.persistent_id, code)
        if verified is None:
            continue
        if isinstance(verified, StaticDevice):
            record(
                actor=Actor.for_user(user),
                action=AuditAction.RECOVERY_CODE_USED,
                obj=user,
                company=user.company,
                after={"recovery_codes_left": verified.token_set.count()},
            )
        return verified
    _failed(user, client)
    raise SecondFactorInvalid()


def second_factor_disable(*, actor: Actor, code: str, client: str) -> None:
    """Turn two-factor sign-in off (after a current code), unless it is required."""
    user = actor.user
    if second_factor_required(user):
        raise SecondFactorRequired()
    second_factor_verify(user=user, code=code, client=client)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record(
            actor=actor,
            action=AuditAction.SECOND_FACTOR_DISABLED,
            obj=user,
            company=user.company,
            before={"method": "totp"},
        )


def company_require_second_factor(*, actor: Actor, required: bool) -> Company:
    """A company administrator requires (or stops requiring) two-factor sign-in for everyone
    in the company. People signed in without it are signed out at their next request."""
    with transaction.atomic():
        company = (
            Company.objects.visible_to(actor, Action.CHANGE)
            .select_for_update()
            .filter(pk=actor.company.pk)
            .first()
        )
        if company is None or actor.token is not None:
            raise NotFound()
        if company.require_second_factor != required:
            company.require_second_factor = required
            company.save(update_fields=["require_second_factor"])
            record(
                actor=actor,
                action=AuditAction.SECOND_FACTOR_POLICY_CHANGED,
                obj=company,
                company=company,
                before={"require_second_factor": not required},
                after={"require_second_factor": required},
            )
    return company
