from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from entitle.accounts import selectors, services
from entitle.accounts.forms import InviteForm, JoinForm, TokenForm
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.routing import reads_from_replica

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
                messages.success(request, f"Welcome to {user.company.name}'s portal, {user.name}.")
                return redirect(request.GET.get("next") or reverse("portal:home"))
        else:
            status = 422
    return render(
        request, "accounts/join.html", {"form": form, "invitation": invitation}, status=status
    )


@login_required
@reads_from_replica
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = services.api_token_create(
                actor=request.actor, name=form.cleaned_data["name"]
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            form = TokenForm()
    context = {
        "form": form,
        "secret": secret,
        "tokens": selectors.api_token_list(actor=request.actor),
    }
    return render(request, "accounts/api_tokens.html", context, status=status)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.api_token_revoke(actor=request.actor, token_id=token_id)
    messages.success(request, f"The token “{token.name}” was revoked.")
    return redirect("accounts:api_tokens")
