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
from entitle.core.listing import Column, list_response
from entitle.core.routing import reads_from_replica
from entitle.core.text import possessive

COWORKERS = "accounts/coworkers.html"
# The co-workers page shows the newest pending invitations; the rest are on their own page.
PENDING_SHOWN = 10

COWORKER_COLUMNS = (
    Column("Name", lambda user: user.name),
    Column("Email", lambda user: user.email),
    Column("Role", lambda user: user.get_role_display()),
    Column("Joined", lambda user: user.date_joined),
)
INVITATION_COLUMNS = (
    Column("Email", lambda invitation: invitation.email),
    Column("Invited by", lambda invitation: invitation.invited_by.name),
    Column("Sent", lambda invitation: invitation.created_at),
    Column("Expires", lambda invitation: invitation.expires_at),
    Column("Status", lambda invitation: invitation.current_status),
)
TOKEN_COLUMNS = (
    Column("Name", lambda token: token.name),
    Column("Token", lambda token: token.masked),
    Column("Acts as", lambda token: token.user.name),
    Column("Scopes", lambda token: " ".join(token.scopes)),
    Column("Created", lambda token: token.created_at),
    Column("Created by", lambda token: token.created_by.name),
    Column("Last used", lambda token: token.last_used_at),
    Column("Valid through", lambda token: token.expires_at),
    Column("Status", lambda token: token.status),
)
SERVICE_ACCOUNT_COLUMNS = (
    Column("Name", lambda account: account.name),
    Column("Role", lambda account: account.get_role_display()),
    Column("Back office", lambda account: account.is_staff),
    Column("Created", lambda account: account.date_joined),
    Column("Status", lambda account: "active" if account.is_active else "deactivated"),
)


def _invitations_context(request: HttpRequest) -> dict:
    """The newest pending invitations, for the co-workers page (all of them: their own page)."""
    listing = selectors.INVITATIONS
    pending = listing.page(
        selectors.invitation_list(actor=request.actor),
        listing.Params(status="pending", limit=PENDING_SHOWN),
    )
    return {"invitations": pending.items, "more_invitations": bool(pending.next_cursor)}


@login_required
@reads_from_replica
def coworkers(request: HttpRequest) -> HttpResponse:
    return list_response(
        request,
        selectors.COWORKERS,
        selectors.coworker_list(actor=request.actor),
        template=COWORKERS,
        context=_invitations_context(request),
        filename="coworkers.csv",
        columns=COWORKER_COLUMNS,
    )


@login_required
@reads_from_replica
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Every invitation, paged; the co-workers page's pending section redraws itself from here
    (htmx, targeting `#invitations`)."""
    if request.htmx and request.htmx.target == "invitations":
        return render(request, f"{COWORKERS}#invitation-list", _invitations_context(request))
    return list_response(
        request,
        selectors.INVITATIONS,
        selectors.invitation_list(actor=request.actor),
        template="accounts/invitations.html",
        filename="invitations.csv",
        columns=INVITATION_COLUMNS,
    )


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
    # From the invitations page, back to it; from the co-workers page, back there.
    back = (
        "accounts:invitation_list" if request.POST.get("back") == "list" else "accounts:coworkers"
    )
    try:
        service(actor=request.actor, public_id=public_id)
    except DomainError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect(back)
        raise
    if request.htmx:
        response = render(request, f"{COWORKERS}#invitation-list", _invitations_context(request))
        return trigger_client_event(response, "notice", {"message": done})
    messages.success(request, done)
    return redirect(back)


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
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The tokens, paged, with the form for a new one (its "acts as" choices are the
    company's active service accounts)."""
    actor = request.actor
    accounts = selectors.service_account_list(actor=actor).filter(is_active=True)
    context = {
        "form": token_form or TokenForm(service_accounts=accounts, staff=actor.is_vendor_staff),
        "secret": secret,
        "scope_labels": scopes.ALL,
    }
    response = list_response(
        request,
        selectors.API_TOKENS,
        selectors.api_token_list(actor=actor),
        template="accounts/api_tokens.html",
        context=context,
        filename="api-tokens.csv",
        columns=TOKEN_COLUMNS,
    )
    if status != 200:
        response.status_code = status
    return response


def _service_accounts_page(
    request: HttpRequest, *, account_form: ServiceAccountForm | None = None, status: int = 200
) -> HttpResponse:
    actor = request.actor
    response = list_response(
        request,
        selectors.SERVICE_ACCOUNTS,
        selectors.service_account_list(actor=actor),
        template="accounts/service_accounts.html",
        context={"account_form": account_form or ServiceAccountForm(staff=actor.is_vendor_staff)},
        filename="service-accounts.csv",
        columns=SERVICE_ACCOUNT_COLUMNS,
    )
    if status != 200:
        response.status_code = status
    return response


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
@reads_from_replica
def service_accounts(request: HttpRequest) -> HttpResponse:
    """The company's service accounts, paged; a POST makes a new one."""
    if request.method != "POST":
        return _service_accounts_page(request)
    form = ServiceAccountForm(request.POST, staff=request.actor.is_vendor_staff)
    if not form.is_valid():
        return _service_accounts_page(request, account_form=form, status=422)
    try:
        account = services.service_account_create(
            actor=request.actor,
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            back_office=form.cleaned_data.get("back_office", False),
        )
    except DomainError as error:
        show_domain_error(form, error)
        return _service_accounts_page(request, account_form=form, status=error.status)
    messages.success(
        request, f"The service account “{account.name}” was created: now give it a token."
    )
    return redirect("accounts:service_accounts")


@login_required
@require_POST
def service_account_deactivate(request: HttpRequest, account_id: int) -> HttpResponse:
    account = services.service_account_deactivate(actor=request.actor, account_id=account_id)
    messages.success(request, f"“{account.name}” was deactivated: its tokens no longer work.")
    return redirect("accounts:service_accounts")
