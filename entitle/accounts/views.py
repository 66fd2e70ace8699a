from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from entitle.accounts import scopes, selectors, services
from entitle.accounts.forms import InviteForm, JoinForm, ServiceAccountForm, TokenForm
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.routing import reads_from_replica
from entitle.core.text import possessive

COWORKERS = "accounts/coworkers.html"


def _invitations_context(request: HttpRequest) -> dict:
    return {"invitations": selectors.invitation_list(actor=request.actor, pending_only=True)}


@login_required
@reads_from_replica
def coworkers(request: HttpRequest) -> HttpResponse:
    context = {
        "members": selectors.coworker_list(actor=request.actor),
        **_invitations_context(request),
    }
    return render(request, COWORKERS, context)


@login_required
@reads_from_replica
def invitation_list(request: HttpRequest) -> HttpResponse:
    return render(request, f"{COWORKERS}#invitation-list", _invitations_context(request))


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    """The "Invite a co-worker" dialog: a fragment for htmx, a whole page without it."""
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(actor=request.actor, email=form.cleaned_data["email"])
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            if not request.htmx:
                messages.success(request, "Invitation Sent — Your invitation was sent.")
                return redirect("accounts:coworkers")
            response = render(request, f"{COWORKERS}#invite-sent")
            return trigger_client_event(response, "invitations-changed")
    if not request.htmx:
        template = "accounts/invite_page.html"
    elif request.htmx.target == "dialog-slot":
        template = f"{COWORKERS}#invite-dialog"
    else:
        template = f"{COWORKERS}#invite-body"
    return render(request, template, {"form": form}, status=status)


def _invitation_action(request: HttpRequest, service, public_id, done: str) -> HttpResponse:
    try:
        service(actor=request.actor, public_id=public_id)
    except DomainError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("accounts:coworkers")
        raise
    if request.htmx:
        response = render(request, f"{COWORKERS}#invitation-list", _invitations_context(request))
        return trigger_client_event(response, "notice", {"message": done})
    messages.success(request, done)
    return redirect("accounts:coworkers")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, public_id) -> HttpResponse:
    return _invitation_action(
        request, services.invitation_revoke, public_id, "The invitation was revoked."
    )


@login_required
@require_POST
def invitation_resend(request: HttpRequest, public_id) -> HttpResponse:
    return _invitation_action(
        request, services.invitation_resend, public_id, "The invitation was sent again."
    )


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Registration through an invitation link."""
    try:
        invitation = selectors.invitation_from_token(token)
        services.check_invitation_open(invitation)
    except DomainError as error:
        return render(request, "accounts/join_closed.html", {"error": error}, status=error.status)
    form = JoinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    invitation=invitation,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password"],
                )
            except DomainError as error:
                show_domain_error(form, error)
                status = error.status
            else:
                login(request, user, backend="entitle.accounts.backends.EmailBackend")
                portal = possessive(user.company.name)
                messages.success(request, f"Welcome to {portal} portal, {user.name}.")
                return redirect(request.GET.get("next") or reverse("portal:home"))
        else:
            status = 422
    return render(
        request, "accounts/join.html", {"form": form, "invitation": invitation}, status=status
    )


def _tokens_page(
    request: HttpRequest,
    *,
    token_form: TokenForm | None = None,
    account_form: ServiceAccountForm | None = None,
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    accounts = list(selectors.service_account_list(actor=actor))
    context = {
        "form": token_form or TokenForm(service_accounts=accounts, staff=actor.is_vendor_staff),
        "account_form": account_form or ServiceAccountForm(staff=actor.is_vendor_staff),
        "secret": secret,
        "tokens": selectors.api_token_list(actor=actor),
        "service_accounts": accounts,
        "scope_labels": scopes.ALL,
    }
    return render(request, "accounts/api_tokens.html", context, status=status)


@login_required
@reads_from_replica
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _tokens_page(request)
    actor = request.actor
    form = TokenForm(
        request.POST,
        service_accounts=selectors.service_account_list(actor=actor),
        staff=actor.is_vendor_staff,
    )
    if not form.is_valid():
        return _tokens_page(request, token_form=form, status=422)
    try:
        _, secret = services.api_token_create(
            actor=actor,
            name=form.cleaned_data["name"],
            scopes=form.chosen_scopes(),
            service_account_id=form.service_account_id(),
            expires_at=form.expires_at(),
        )
    except DomainError as error:
        show_domain_error(form, error)
        return _tokens_page(request, token_form=form, status=error.status)
    return _tokens_page(request, secret=secret)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.api_token_revoke(actor=request.actor, token_id=token_id)
    messages.success(request, f"The token “{token.name}” was revoked.")
    return redirect("accounts:api_tokens")


@login_required
@require_POST
def service_account_create(request: HttpRequest) -> HttpResponse:
    form = ServiceAccountForm(request.POST, staff=request.actor.is_vendor_staff)
    if not form.is_valid():
        return _tokens_page(request, account_form=form, status=422)
    try:
        account = services.service_account_create(
            actor=request.actor,
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            back_office=form.cleaned_data.get("back_office", False),
        )
    except DomainError as error:
        show_domain_error(form, error)
        return _tokens_page(request, account_form=form, status=error.status)
    messages.success(
        request, f"The service account “{account.name}” was created: now give it a token."
    )
    return redirect("accounts:api_tokens")


@login_required
@require_POST
def service_account_deactivate(request: HttpRequest, account_id: int) -> HttpResponse:
    account = services.service_account_deactivate(actor=request.actor, account_id=account_id)
    messages.success(request, f"“{account.name}” was deactivated: its tokens no longer work.")
    return redirect("accounts:api_tokens")
