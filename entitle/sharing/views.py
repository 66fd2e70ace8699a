from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.policy import Action
from entitle.core.routing import reads_from_replica
from entitle.licensing.selectors import licence_get
from entitle.sharing import selectors, services
from entitle.sharing.errors import ShareLinkNotFound
from entitle.sharing.forms import GrantForm, RegisterForm, ShareForm, TransferForm


def _form_page(request, form, template, context, act, done):
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = act(form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, done(result))
            return redirect("sharing:overview")
    return render(request, template, {**context, "form": form}, status=status)


@login_required
@reads_from_replica
def overview(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = GrantForm(request.POST or None)
    if request.method == "POST":
        return _form_page(
            request,
            form,
            "sharing/overview.html",
            _overview_context(request),
            act=lambda data: services.delegation_grant(
                actor=actor,
                email=data["email"],
                role=data["role"],
                scope=data["scope"],
                po_number=data["po_number"],
            ),
            done=lambda d: "Shared. They will see it as soon as they log in.",
        )
    return render(request, "sharing/overview.html", {**_overview_context(request), "form": form})


def _overview_context(request: HttpRequest) -> dict:
    return {
        "given": selectors.delegations_given(actor=request.actor),
        "held": selectors.delegations_held(actor=request.actor),
        "transfers": selectors.transfer_list(actor=request.actor),
    }


@login_required
def licence_share(request: HttpRequest, activation_id: str) -> HttpResponse:
    """⋮ → Share license information."""
    licence = licence_get(actor=request.actor, activation_id=activation_id, action=Action.CHANGE)
    return _form_page(
        request,
        ShareForm(request.POST or None),
        "sharing/share.html",
        {"licence": licence},
        act=lambda data: services.delegation_grant(
            actor=request.actor,
            email=data["email"],
            role=data["role"],
            activation_id=licence.activation_id,
        ),
        done=lambda d: f"License information shared with {d.invited_email or 'their company'}.",
    )


@login_required
@require_POST
def delegation_revoke(request: HttpRequest, public_id) -> HttpResponse:
    services.delegation_revoke(actor=request.actor, public_id=public_id)
    messages.success(request, "Access revoked: it ended at once.")
    return redirect("sharing:overview")


@login_required
def licence_transfer(request: HttpRequest, activation_id: str) -> HttpResponse:
    licence = licence_get(actor=request.actor, activation_id=activation_id, action=Action.CHANGE)
    return _form_page(
        request,
        TransferForm(request.POST or None),
        "sharing/transfer.html",
        {"licence": licence},
        act=lambda data: services.transfer_propose(
            actor=request.actor, activation_id=licence.activation_id, to_email=data["to_email"]
        ),
        done=lambda t: f"Transfer offered to {t.to_company.name}; it waits for their answer.",
    )


@login_required
@require_POST
def transfer_decide(request: HttpRequest, public_id, decision: str) -> HttpResponse:
    service = {
        "accept": services.transfer_accept,
        "decline": services.transfer_decline,
        "cancel": services.transfer_cancel,
    }[decision]
    try:
        transfer = service(actor=request.actor, public_id=public_id)
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, f"Transfer {transfer.get_status_display().lower()}.")
    return redirect("sharing:overview")


def register(request: HttpRequest, token: str) -> HttpResponse:
    """Registration for someone a licence was shared with, into a company of their own."""
    try:
        delegation = services.delegation_from_token(token)
        if delegation.delegate_id is not None:
            raise ShareLinkNotFound("This link has been used already. Please log in.")
    except DomainError as error:
        return render(request, "accounts/join_closed.html", {"error": error}, status=error.status)
    form = RegisterForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.delegation_register(delegation=delegation, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            login(request, user, backend="entitle.accounts.backends.EmailBackend")
            messages.success(request, "Welcome. The license information shared with you is here.")
            return redirect("licensing:licences")
    context = {"form": form, "delegation": delegation}
    return render(request, "sharing/register.html", context, status=status)
