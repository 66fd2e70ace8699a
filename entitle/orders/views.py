from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from entitle.accounts.selectors import company_list
from entitle.catalog.selectors import sku_list
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.policy import require_vendor_staff
from entitle.core.routing import reads_from_replica
from entitle.core.views import activity_response
from entitle.orders import selectors, services
from entitle.orders.forms import LookupForm, OrderLineFormSet, PurchaseOrderForm


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
    context = {"orders": selectors.po_list(actor=request.actor), "lookup": lookup}
    return render(request, "orders/po_list.html", context)


@login_required
def po_detail(request: HttpRequest, public_id) -> HttpResponse:
    po = selectors.po_get(actor=request.actor, public_id=public_id)
    return render(request, "orders/po_detail.html", {"po": po})


@login_required
@require_POST
def po_fulfil(request: HttpRequest, public_id) -> HttpResponse:
    po = services.po_fulfil(actor=request.actor, public_id=public_id)
    messages.success(
        request, f"PO {po.po_number} is fulfilled: its vouchers were mailed to {po.po_email}."
    )
    return redirect("orders:detail", public_id=po.public_id)


@login_required
def po_create(request: HttpRequest) -> HttpResponse:
    require_vendor_staff(request.actor)
    companies = company_list(actor=request.actor).filter(is_vendor=False)
    skus = sku_list(actor=request.actor)
    data = request.POST or None
    form = PurchaseOrderForm(data, companies=companies)
    lines = OrderLineFormSet(data, prefix="lines", form_kwargs={"skus": skus})
    status = 200
    if request.method == "POST":
        if form.is_valid() and lines.is_valid():
            entered = [
                services.LineInput(
                    sku=line["sku"], quantity=line["quantity"] or 0, unit_price=line["unit_price"]
                )
                for line in lines.cleaned_data
                if line.get("sku")
            ]
            try:
                po = services.po_record(actor=request.actor, lines=entered, **form.cleaned_data)
            except DomainError as error:
                show_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, f"PO {po.po_number} is recorded.")
                return redirect("orders:detail", public_id=po.public_id)
        else:
            status = 422
    return render(request, "orders/po_form.html", {"form": form, "lines": lines}, status=status)


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
