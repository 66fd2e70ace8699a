"""Finding things, and the back office's actions on them: void a voucher, suspend and
reinstate a licence, rotate the signing keys. Each goes through its app's service."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from entitle.accounts.selectors import COMPANIES, company_get
from entitle.backoffice import selectors
from entitle.backoffice.forms import ReasonForm
from entitle.backoffice.views.common import staff_only
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.listing import Column, list_response
from entitle.core.routing import reads_from_replica
from entitle.licensing.selectors import licence_status
from entitle.licensing.services.licences import licence_reinstate, licence_suspend
from entitle.licensing.signing import rotate_keys
from entitle.locker.services import voucher_void


@staff_only
@reads_from_replica
def find(request: HttpRequest) -> HttpResponse:
    found = selectors.find(actor=request.actor, query=request.GET.get("q", ""))
    return render(request, "backoffice/find.html", {"found": found})


# The CSV of each index: the columns its page shows (staff may see every field).
COMPANY_COLUMNS = (
    Column("Id", lambda company: company.pk),
    Column("Name", lambda company: company.name),
    Column("Country", lambda company: company.country),
    Column("Partner", lambda company: company.is_partner),
    Column("Vendor", lambda company: company.is_vendor),
    Column("Since", lambda company: company.created_at),
)
PEOPLE_COLUMNS = (
    Column("Name", lambda user: user.name),
    Column("Email", lambda user: user.email),
    Column("Role", lambda user: user.get_role_display()),
    Column("Service account", lambda user: user.is_service_account),
    Column("Active", lambda user: user.is_active),
    Column("Joined", lambda user: user.date_joined),
)
VOUCHER_COLUMNS = (
    Column("Code", lambda voucher: voucher.code),
    Column("SKU", lambda voucher: voucher.sku.code),
    Column("Credits", lambda voucher: voucher.credits),
    Column("PO number", lambda voucher: voucher.line.po.po_number),
    Column("Issued", lambda voucher: voucher.issued_at),
    Column("Status", lambda voucher: voucher.status),
)
LICENCE_COLUMNS = (
    Column("Activation ID", lambda licence: licence.activation_id),
    Column("Subscription ID", lambda licence: licence.subscription),
    Column("Product", lambda licence: licence.product.name),
    Column("SKU", lambda licence: licence.sku.code),
    Column("Owner", lambda licence: licence.owner.name),
    Column("Quantity", lambda licence: licence.quantity),
    Column("Start", lambda licence: licence.start_date),
    Column("Valid through", lambda licence: licence.valid_through),
    Column("Status", lambda licence: str(licence_status(licence).status)),
)
DEVICE_COLUMNS = (
    Column("Name", lambda device: device.name),
    Column("Host id", lambda device: device.host_id),
    Column("Product", lambda device: device.product.name),
    Column("Owner", lambda device: device.owner.name),
    Column("Location", lambda device: device.location),
    Column(
        "Licenses",
        lambda device: " ".join(b.licence.activation_id for b in device.visible_bindings),
    ),
    Column("Registered", lambda device: device.created_at),
)


@staff_only
@reads_from_replica
def company_index(request: HttpRequest) -> HttpResponse:
    return list_response(
        request,
        COMPANIES,
        selectors.companies(actor=request.actor),
        template="backoffice/companies.html",
        filename="companies.csv",
        columns=COMPANY_COLUMNS,
    )


@staff_only
@reads_from_replica
def company(request: HttpRequest, company_id: int) -> HttpResponse:
    context = selectors.company_detail(actor=request.actor, company_id=company_id)
    return render(request, "backoffice/company.html", context)


@staff_only
@reads_from_replica
def company_people(request: HttpRequest, company_id: int) -> HttpResponse:
    """Everyone of a company, paged: people, former people and service accounts."""
    found = company_get(actor=request.actor, company_id=company_id)
    return list_response(
        request,
        selectors.PEOPLE,
        selectors.people(actor=request.actor, company=found),
        template="backoffice/people.html",
        context={"company": found},
        filename=f"people-{found.pk}.csv",
        columns=PEOPLE_COLUMNS,
    )


@staff_only
@reads_from_replica
def voucher_index(request: HttpRequest) -> HttpResponse:
    return list_response(
        request,
        selectors.VOUCHERS,
        selectors.vouchers(actor=request.actor),
        template="backoffice/vouchers.html",
        filename="vouchers.csv",
        columns=VOUCHER_COLUMNS,
    )


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
    return list_response(
        request,
        selectors.BACKOFFICE_LICENCES,
        selectors.licences(actor=request.actor),
        template="backoffice/licences.html",
        filename="licenses.csv",
        columns=LICENCE_COLUMNS,
    )


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
    return list_response(
        request,
        selectors.DEVICES,
        selectors.devices(actor=request.actor),
        template="backoffice/devices.html",
        filename="devices.csv",
        columns=DEVICE_COLUMNS,
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
