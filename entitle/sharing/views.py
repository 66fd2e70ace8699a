from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.listing import Column, list_response
from entitle.core.policy import Action
from entitle.core.routing import reads_from_replica
from entitle.licensing.selectors import licence_get
from entitle.sharing import selectors, services
from entitle.sharing.errors import ShareLinkNotFound
from entitle.sharing.forms import GrantForm, RegisterForm, ShareForm, TransferForm
from entitle.sharing.models import Delegation, Transfer


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
    """Delegations given and held, paged, with the form that shares more; the transfers
    waiting for an answer, linking to all of them."""
    actor = request.actor
    form = GrantForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.delegation_grant(
                actor=actor,
                email=data["email"],
                role=data["role"],
                scope=data["scope"],
                po_number=data["po_number"],
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, "Shared. They will see it as soon as they log in.")
            return redirect("sharing:overview")
    waiting = selectors.TRANSFERS.page(
        selectors.transfer_list(actor=actor),
        selectors.TRANSFERS.Params(status=Transfer.Status.PROPOSED, limit=OVERVIEW_TRANSFERS),
    )
    response = list_response(
        request,
        selectors.DELEGATIONS,
        selectors.delegation_list(actor=actor),
        template="sharing/overview.html",
        context={"form": form, "waiting": waiting},
        filename="sharing.csv",
        columns=DELEGATION_COLUMNS,
    )
    response.status_code = status
    return response


# The transfers waiting for an answer that the overview shows; the rest are on their page.
OVERVIEW_TRANSFERS = 10


def _shared_what(d) -> str:
    if d.scope == Delegation.Scope.LICENCE:
        return f"License {d.licence.public_id}"
    if d.scope == Delegation.Scope.PO:
        return f"The licenses of PO {d.po.po_number}"
    return "All licenses" if d.given else "All licenses of a customer"


def _shared_with(d) -> str | None:
    # The delegate's name and address are the owner's to see: a delegate sees its own side.
    if not d.given:
        return None
    return d.delegate.name if d.delegate_id else d.invited_email


def _until(d) -> str | None:
    if d.revoked_at:
        return f"revoked {d.revoked_at.date().isoformat()}"
    return d.expires_at.date().isoformat() if d.expires_at else None


# The CSV of the Sharing page: what its table shows.
DELEGATION_COLUMNS = (
    Column("Shared", lambda d: "by us" if d.given else "with us"),
    Column("With", _shared_with),
    Column("What", _shared_what),
    Column("Access", lambda d: d.get_role_display()),
    Column("Since", lambda d: d.created_at.date()),
    Column("Until", _until),
)


@login_required
@reads_from_replica
def transfers(request: HttpRequest) -> HttpResponse:
    """Every transfer offered or received, paged."""
    return list_response(
        request,
        selectors.TRANSFERS,
        selectors.transfer_list(actor=request.actor),
        template="sharing/transfers.html",
        filename="transfers.csv",
        columns=TRANSFER_COLUMNS,
    )


TRANSFER_COLUMNS = (
    Column("License", lambda t: str(t.licence.public_id)),
    Column("Product", lambda t: t.licence.product.name),
    Column("From", lambda t: t.from_company.name),
    Column("To", lambda t: t.to_company.name),
    Column("Offered", lambda t: t.proposed_at.date()),
    Column("Status", lambda t: t.get_status_display()),
)


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
