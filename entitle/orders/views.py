from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.listing import Column, list_response
from entitle.core.policy import may_see
from entitle.core.routing import reads_from_replica
from entitle.core.views import activity_response
from entitle.orders import selectors
from entitle.orders.forms import LookupForm


@login_required
@reads_from_replica
def po_list(request: HttpRequest) -> HttpResponse:
    lookup = LookupForm(request.GET or None)
    if lookup.is_valid():
        try:
            po = selectors.po_lookup(
                actor=request.actor, po_number=lookup.cleaned_data["po_number"]
            )
        except DomainError as error:
            show_domain_error(lookup, error)
        else:
            return redirect("orders:detail", public_id=po.public_id)
    return list_response(
        request,
        selectors.POS,
        selectors.po_list(actor=request.actor),
        template="orders/po_list.html",
        context={"lookup": lookup},
        filename="purchase-orders.csv",
        columns=PO_COLUMNS,
    )


def _name(company) -> str | None:
    return company.name if company is not None else None


# The CSV of the Orders page: what the page shows, the owner only to whom the field policy
# shows it (the owner itself and vendor staff).
PO_COLUMNS = (
    Column("PO number", lambda po: po.po_number),
    Column("Ordered", lambda po: po.ordered_on),
    Column("Channel", lambda po: po.get_channel_display()),
    Column("Status", lambda po: po.get_status_display()),
    Column("Purchasing entity", lambda po: po.purchasing_entity.name),
    Column("Reseller", lambda po: _name(po.reseller)),
    Column("Owner", lambda po: po.owner.name if may_see(po, "owner_identity") else None),
    Column("Lines", lambda po: po.line_count),
    Column("Total", lambda po: po.total),
)


@login_required
def po_detail(request: HttpRequest, public_id) -> HttpResponse:
    po = selectors.po_get(actor=request.actor, public_id=public_id)
    return render(request, "orders/po_detail.html", {"po": po})


@login_required
@reads_from_replica
def po_activity(request: HttpRequest, public_id) -> HttpResponse:
    po, events = selectors.po_activity(actor=request.actor, public_id=public_id)
    return activity_response(
        request,
        events,
        title=f"Activity of PO {po.po_number}",
        back=reverse("orders:detail", args=[po.public_id]),
    )
