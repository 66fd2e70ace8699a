"""Signing in — by password or through the company's identity provider, then with a second
factor where one is needed — and the pages that set these up (Security, Single sign-on).

Nobody is signed in until every step is done: between the first step and the code, the session
holds only who is signing in (`PENDING`), for a few minutes.
"""

from datetime import timedelta

from authlib.integrations.base_client import OAuthError
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from joserfc.errors import JoseError
from requests import RequestException

from entitle.accounts import signin
from entitle.accounts.errors import SsoRefused
from entitle.accounts.forms import (
    CodeForm,
    IdentityProviderForm,
    LoginForm,
    SsoStartForm,
)
from entitle.accounts.models import User
from entitle.accounts.selectors import identity_provider_of
from entitle.accounts.services import mfa, sso
from entitle.core import links
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error

PENDING = "signin.pending"
METHOD = "signin.method"
PENDING_FOR = timedelta(minutes=10)
BACKEND = "entitle.accounts.backends.EmailBackend"
SSO_PROVIDER = "signin.sso_provider"
SSO_NEXT = "signin.sso_next"


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("portal:home")


def proceed(request: HttpRequest, user: User, *, method: str, next_url: str) -> HttpResponse:
    """The first step succeeded: sign in, or ask for the second factor first."""
    if mfa.second_factor_needed(user):
        request.session[PENDING] = {
            "user": user.pk,
            "method": method,
            "next": next_url,
            "until": (timezone.now() + PENDING_FOR).timestamp(),
        }
        return redirect("accounts:second_factor")
    auth_login(request, user, backend=BACKEND)
    request.session[METHOD] = method
    return redirect(next_url)


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        return proceed(
            self.request, form.get_user(), method="password", next_url=self.get_success_url()
        )

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "sso_form": SsoStartForm()}


# --- Single sign-on. ---


def _login_page(
    request: HttpRequest, *, sso_form: SsoStartForm, status: int, error: str = ""
) -> HttpResponse:
    context = {"form": LoginForm(request), "sso_form": sso_form, "sso_error": error, "next": ""}
    return render(request, "accounts/login.html", context, status=status)


@require_POST
def sso_start(request: HttpRequest) -> HttpResponse:
    """Send the person to their company's identity provider, found by their address."""
    form = SsoStartForm(request.POST)
    if not form.is_valid():
        return _login_page(request, sso_form=form, status=422)
    provider = sso.provider_for_email(form.cleaned_data["email"])
    if provider is None:
        form.add_error(
            "email", "Single sign-on is not set up for this address. Log in with your password."
        )
        return _login_page(request, sso_form=form, status=404)
    try:
        client = sso.client(provider)
    except DomainError as error:
        form.add_error("email", error.message)
        return _login_page(request, sso_form=form, status=502)
    request.session[SSO_PROVIDER] = provider.pk
    request.session[SSO_NEXT] = _safe_next(request, request.POST.get("next"))
    return client.authorize_redirect(
        request, links.portal_url("accounts:sso_callback"), login_hint=form.cleaned_data["email"]
    )


def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the person back here with a code: exchange it, check the ID token,
    and continue signing in as the account it vouches for."""
    provider_id = request.session.pop(SSO_PROVIDER, None)
    next_url = request.session.pop(SSO_NEXT, None) or reverse("portal:home")
    try:
        if provider_id is None:
            raise SsoRefused("Your sign-in took too long or was started elsewhere.")
        provider = sso.provider_for_sign_in(provider_id)
        token = sso.client(provider).authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise SsoRefused("Your identity provider sent no ID token.")
        user = sso.sign_in(provider=provider, claims=dict(claims))
    except DomainError as error:
        return _login_page(
            request, sso_form=SsoStartForm(), status=error.status, error=error.message
        )
    except (OAuthError, JoseError, RequestException, ValueError) as error:
        return _login_page(
            request,
            sso_form=SsoStartForm(),
            status=403,
            error=f"Single sign-on did not work: {error}",
        )
    return proceed(request, user, method="sso", next_url=next_url)


# --- The second factor. ---


def _pending_user(request: HttpRequest) -> tuple[User, dict] | None:
    pending = request.session.get(PENDING)
    if not pending or pending["until"] < timezone.now().timestamp():
        return None
    user = mfa.user_signing_in(pending["user"])
    return (user, pending) if user else None


def second_factor(request: HttpRequest) -> HttpResponse:
    """The code from the authenticator app (or a recovery code) — or, for someone whose company
    requires a second factor and who has none yet, setting the app up now."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING, None)
        messages.info(request, "Please log in again.")
        return redirect("accounts:login")
    user, pending = found
    enrolling = not mfa.has_second_factor(user)
    enrolment = (
        mfa.enrolment_begin(user=user, device_id=pending.get("device")) if enrolling else None
    )
    if enrolment is not None and pending.get("device") != enrolment.device.pk:
        pending["device"] = enrolment.device.pk
        request.session[PENDING] = pending
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if enrolling:
                codes = mfa.enrolment_confirm(
                    user=user,
                    device_id=enrolment.device.pk,
                    code=code,
                    client=signin.client_of(request),
                )
                device = enrolment.device
            else:
                codes = None
                device = mfa.second_factor_verify(
                    user=user, code=code, client=signin.client_of(request)
                )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            del request.session[PENDING]
            auth_login(request, user, backend=BACKEND)
            otp_login(request, device)
            request.session[METHOD] = pending["method"]
            if codes:
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {"codes": codes, "next": pending["next"]},
                )
            return redirect(pending["next"])
    context = {"form": form, "enrolment": enrolment, "person": user}
    return render(request, "accounts/second_factor.html", context, status=status)


# --- Settings: Security (everyone), Single sign-on (administrators). ---

ENROL = "security.enrol_device"


def _security_page(request: HttpRequest, *, status: int = 200, **extra) -> HttpResponse:
    user = request.actor.user
    context = {
        "enabled": mfa.has_second_factor(user),
        "required": mfa.second_factor_required(user),
        "codes_left": mfa.recovery_codes_left(user),
        "code_form": CodeForm(),
        **extra,
    }
    return render(request, "accounts/security.html", context, status=status)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@login_required
def security_enrol(request: HttpRequest) -> HttpResponse:
    """Set the authenticator app up: scan, then confirm with its first code."""
    user = request.actor.user
    enrolment = mfa.enrolment_begin(user=user, device_id=request.session.get(ENROL))
    request.session[ENROL] = enrolment.device.pk
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.enrolment_confirm(
                user=user,
                device_id=enrolment.device.pk,
                code=form.cleaned_data["code"],
                client=signin.client_of(request),
            )
        except DomainError as error:
            show_domain_error(form, error)
            return _security_page(request, enrolment=enrolment, form=form, status=error.status)
        del request.session[ENROL]
        otp_login(request, enrolment.device)
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next": reverse("accounts:security")},
        )
    return _security_page(request, enrolment=enrolment, form=form)


def _with_code(request: HttpRequest, act, done: str) -> HttpResponse:
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _security_page(request, code_form=form, status=422)
    try:
        result = act(form.cleaned_data["code"])
    except DomainError as error:
        show_domain_error(form, error)
        return _security_page(request, code_form=form, status=error.status)
    if isinstance(result, list):
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": result, "next": reverse("accounts:security")},
        )
    messages.success(request, done)
    return redirect("accounts:security")


@login_required
@require_POST
def security_disable(request: HttpRequest) -> HttpResponse:
    return _with_code(
        request,
        lambda code: mfa.second_factor_disable(
            actor=request.actor, code=code, client=signin.client_of(request)
        ),
        "Two-factor sign-in is off.",
    )


@login_required
@require_POST
def security_recovery_codes(request: HttpRequest) -> HttpResponse:
    return _with_code(
        request,
        lambda code: mfa.recovery_codes_renew(
            actor=request.actor, code=code, client=signin.client_of(request)
        ),
        "",
    )


@login_required
@require_POST
def security_require(request: HttpRequest) -> HttpResponse:
    required = request.POST.get("required") == "on"
    mfa.company_require_second_factor(actor=request.actor, required=required)
    messages.success(
        request,
        "Everyone in the company now signs in with a second factor."
        if required
        else "A second factor is now up to each person.",
    )
    return redirect("accounts:security")


@login_required
def sso_settings(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    provider = identity_provider_of(actor=actor)
    form = IdentityProviderForm(request.POST or None, provider=provider)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            sso.provider_save(actor=actor, company=actor.company, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, "Single sign-on is set up.")
            return redirect("accounts:sso_settings")
    context = {
        "form": form,
        "provider": provider,
        "callback": links.portal_url("accounts:sso_callback"),
    }
    return render(request, "accounts/sso_settings.html", context, status=status)
