"""Finding things, and the back office's actions on them: void a voucher, suspend and
reinstate a licence, rotate the signing keys. Each goes through its app's service."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from entitle.accounts.selectors import company_list
from entitle.backoffice import selectors
from entitle.backoffice.forms import ReasonForm
from entitle.backoffice.views.common import LIST_SIZE, staff_only
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.routing import reads_from_replica
from entitle.licensing.selectors import device_list, licence_list
from entitle.licensing.services.licences import licence_reinstate, licence_suspend
from entitle.licensing.signing import rotate_keys
from entitle.locker.services import voucher_void


@staff_only
@reads_from_replica
def find(request: HttpRequest) -> HttpResponse:
    found = selectors.find(actor=request.actor, query=request.GET.get("q", ""))
    return render(request, "backoffice/find.html", {"found": found})


@staff_only
@reads_from_replica
def company_index(request: HttpRequest) -> HttpResponse:
    companies = company_list(actor=request.actor).order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        companies = companies.filter(name__istartswith=query)
    context = {"companies": companies[:LIST_SIZE], "q": query, "limit": LIST_SIZE}
    return render(request, "backoffice/companies.html", context)


@staff_only
@reads_from_replica
def company(request: HttpRequest, company_id: int) -> HttpResponse:
    context = selectors.company_detail(actor=request.actor, company_id=company_id)
    return render(request, "backoffice/company.html", context)


@staff_only
@reads_from_replica
def voucher_index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    rows = selectors.vouchers(actor=request.actor, status=status)
    context = {"vouchers": rows[:LIST_SIZE], "status": status, "limit": LIST_SIZE}
    return render(request, "backoffice/vouchers.html", context)


@staff_only
@reads_from_replica
def voucher(request: HttpRequest, voucher_id: int) -> HttpResponse:
    """A voucher, and voiding it: this page is the confirmation step."""
    found = selectors.voucher_get(actor=request.actor, voucher_id=voucher_id)
    return render(request, "backoffice/voucher.html", {"voucher": found})


@staff_only
@require_POST
def voucher_void_confirmed(request: HttpRequest, voucher_id: int) -> HttpResponse:
    try:
        voided = voucher_void(actor=request.actor, voucher_id=voucher_id)
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, f"Voucher {voided.code} is void: it can no longer be redeemed.")
    return redirect("backoffice:voucher", voucher_id=voucher_id)


@staff_only
@reads_from_replica
def licence_index(request: HttpRequest) -> HttpResponse:
    rows = licence_list(actor=request.actor).order_by("-created_at", "-pk")
    if request.GET.get("status") == "suspended":
        rows = rows.filter(suspended_at__isnull=False)
    context = {
        "licences": rows[:LIST_SIZE],
        "limit": LIST_SIZE,
        "status": request.GET.get("status", ""),
    }
    return render(request, "backoffice/licences.html", context)


def _licence_page(request, licence, *, suspend=None, reinstate=None, status=200):
    context = {
        "licence": licence,
        "suspend": suspend or ReasonForm(prefix="suspend"),
        "reinstate": reinstate or ReasonForm(prefix="reinstate"),
    }
    return render(request, "backoffice/licence.html", context, status=status)


@staff_only
@reads_from_replica
def licence(request: HttpRequest, licence_id: str) -> HttpResponse:
    found = selectors.licence_for_staff(actor=request.actor, licence_id=licence_id)
    return _licence_page(request, found)


@staff_only
@require_POST
def licence_suspension(request: HttpRequest, licence_id: str, change: str) -> HttpResponse:
    """Suspend or reinstate, each with the reason staff give (both land in the audit
    trail); a suspension without a reason is refused next to the field."""
    actor = request.actor
    found = selectors.licence_for_staff(actor=actor, licence_id=licence_id)
    form = ReasonForm(request.POST, prefix=change)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    try:
        if change == "suspend":
            licence_suspend(actor=actor, activation_id=found.activation_id, reason=reason)
            done = (
                f"License {found.activation_id} is suspended: its products stop at the end of "
                "their current lease."
            )
        else:
            if not reason.strip():
                form.add_error("reason", "Please give the reason for reinstating the license.")
                return _licence_page(request, found, reinstate=form, status=422)
            licence_reinstate(actor=actor, activation_id=found.activation_id, reason=reason)
            done = f"License {found.activation_id} is reinstated."
    except DomainError as error:
        show_domain_error(form, error)
        pages = {"suspend": form} if change == "suspend" else {"reinstate": form}
        return _licence_page(request, found, status=error.status, **pages)
    messages.success(request, done)
    return redirect("backoffice:licence", licence_id=found.public_id)


@staff_only
@reads_from_replica
def device_index(request: HttpRequest) -> HttpResponse:
    rows = device_list(actor=request.actor).order_by("-created_at", "-pk")
    return render(
        request, "backoffice/devices.html", {"devices": rows[:LIST_SIZE], "limit": LIST_SIZE}
    )


@staff_only
@reads_from_replica
def keys(request: HttpRequest) -> HttpResponse:
    """The signing keys, and rotating them: this page is the confirmation step."""
    return render(
        request, "backoffice/keys.html", {"keys": selectors.signing_keys(actor=request.actor)}
    )


@staff_only
@require_POST
def keys_rotate(request: HttpRequest) -> HttpResponse:
    new = rotate_keys(actor=request.actor)
    messages.success(
        request,
        f"New signing key {new.kid}: licence files are signed with it from now on; files "
        "signed before stay valid until they expire.",
    )
    return redirect("backoffice:keys")
