"""Purchase orders in the back office: record one with any number of lines (all its errors
shown at once, next to their fields), and fulfil it after a confirmation."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from entitle.backoffice import selectors
from entitle.backoffice.forms import LineFormSet, OrderForm
from entitle.backoffice.views.common import staff_only
from entitle.catalog.selectors import sku_list
from entitle.core.errors import DomainError
from entitle.core.listing import Column, list_response
from entitle.core.routing import reads_from_replica
from entitle.locker.selectors import po_vouchers
from entitle.orders import services
from entitle.orders.selectors import po_get

ORDER_FORM = "backoffice/order_form.html"
LINE_FIELDS = ("sku", "quantity", "unit_price")
# The CSV of the POs index: what the page shows (staff may see the owner).
ORDER_COLUMNS = (
    Column("PO number", lambda po: po.po_number),
    Column("Purchasing entity", lambda po: po.purchasing_entity.name),
    Column("Owner", lambda po: po.owner.name),
    Column("Channel", lambda po: po.get_channel_display()),
    Column("Ordered on", lambda po: po.ordered_on),
    Column("Recorded", lambda po: po.recorded_at),
    Column("Status", lambda po: po.status),
    Column("Total", lambda po: po.total),
)


@staff_only
@reads_from_replica
def order_list(request: HttpRequest) -> HttpResponse:
    return list_response(
        request,
        selectors.ORDERS,
        selectors.orders(actor=request.actor),
        template="backoffice/orders.html",
        filename="purchase-orders.csv",
        columns=ORDER_COLUMNS,
    )


@staff_only
@reads_from_replica
def order_detail(request: HttpRequest, public_id) -> HttpResponse:
    po = po_get(actor=request.actor, public_id=public_id)
    vouchers = po_vouchers(actor=request.actor, po_public_id=po.public_id)
    return render(request, "backoffice/order.html", {"po": po, "vouchers": vouchers})


def _rows(data: QueryDict) -> list[dict]:
    """The lines as typed so far, from the submitted form, in order."""
    try:
        total = min(int(data.get("lines-TOTAL_FORMS", 0)), 500)
    except ValueError:
        total = 0
    return [{name: data.get(f"lines-{n}-{name}", "") for name in LINE_FIELDS} for n in range(total)]


def _lines(request: HttpRequest, *, data=None, initial=None) -> LineFormSet:
    skus = sku_list(actor=request.actor).filter(is_active=True)
    return LineFormSet(data, initial=initial, prefix="lines", form_kwargs={"skus": skus})


def _place_problems(form: OrderForm, numbered: list, problems: list[DomainError]) -> None:
    """Each of the service's messages next to its field: `lines.<n>.<field>` is the n-th of
    the `numbered` line forms."""
    for problem in problems:
        field = problem.field or ""
        if field.startswith("lines."):
            _, number, name = field.split(".")
            line = numbered[int(number) - 1]
            if not line.has_error(name):
                line.add_error(name, problem.message)
        elif field == "lines":
            form.add_error(None, problem.message)
        elif field in form.fields:
            if not form.has_error(field):
                form.add_error(field, problem.message)
        else:
            form.add_error(None, problem.message)


@staff_only
def order_new(request: HttpRequest) -> HttpResponse:
    """Record a PO. "Add a line" and "Remove" redraw the lines (htmx, or the whole page
    without script) and keep what was typed; "Record" checks everything at once."""
    actor = request.actor
    if request.method != "POST":
        form = OrderForm(actor=actor, initial={"channel": "partner"})
        return render(request, ORDER_FORM, {"form": form, "lines": _lines(request, initial=[{}])})
    action = request.POST.get("action", "record")
    if action != "record":
        rows = _rows(request.POST)
        if action == "add":
            rows.append({})
        elif action.startswith("remove-") and action[7:].isdigit():
            index = int(action[7:])
            rows = [row for n, row in enumerate(rows) if n != index] or [{}]
        lines = _lines(request, initial=rows)
        if request.htmx:
            return render(request, f"{ORDER_FORM}#lines", {"lines": lines})
        form = OrderForm(actor=actor, initial=request.POST.dict())
        return render(request, ORDER_FORM, {"form": form, "lines": lines})

    form = OrderForm(request.POST, actor=actor)
    lines = _lines(request, data=request.POST)
    # Both are checked, whatever the first finds: every error shows at once.
    form_valid, lines_valid = form.is_valid(), lines.is_valid()
    # Every typed line with a SKU goes to the rules, even one the form found fault with, so
    # that each of its problems shows now rather than after the next submit.
    numbered = [
        line
        for line in lines
        if not line.is_blank and getattr(line, "cleaned_data", {}).get("sku") is not None
    ]
    entered = [
        services.LineInput(
            sku=line.cleaned_data["sku"],
            quantity=line.cleaned_data.get("quantity"),
            unit_price=line.data.get(line.add_prefix("unit_price"), "").strip(),
        )
        for line in numbered
    ]
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    problems = services.po_problems(
        po_number=request.POST.get("po_number", ""),
        po_email=request.POST.get("po_email", ""),
        channel=request.POST.get("channel", ""),
        purchasing_entity=data.get("purchasing_entity"),
        owner=data.get("owner"),
        reseller=data.get("reseller"),
        lines=entered,
    )
    if any(not line.is_blank for line in lines):
        # Lines were typed: their own errors say what is wrong with them.
        problems = [problem for problem in problems if problem.field != "lines"]
    if problems or not (form_valid and lines_valid):
        _place_problems(form, numbered, problems)
        return render(request, ORDER_FORM, {"form": form, "lines": lines}, status=422)
    try:
        po = services.po_record(
            actor=actor,
            po_number=data["po_number"],
            po_email=data["po_email"],
            channel=data["channel"],
            msa_reference=data["msa_reference"],
            purchasing_entity=data["purchasing_entity"],
            reseller=data["reseller"],
            owner=data["owner"],
            installer=data["installer"],
            lines=entered,
        )
    except DomainError as error:
        _place_problems(form, numbered, [error])
        return render(request, ORDER_FORM, {"form": form, "lines": lines}, status=error.status)
    messages.success(request, f"PO {po.po_number} is recorded. Fulfil it when it is due.")
    return redirect("backoffice:order", public_id=po.public_id)


@staff_only
@reads_from_replica
def company_options(request: HttpRequest) -> HttpResponse:
    """The suggestions of the PO form's company pickers, as <option>s of their datalist."""
    query = next((value for value in request.GET.values() if value.strip()), "")
    companies = selectors.company_pick(actor=request.actor, query=query)
    return render(request, f"{ORDER_FORM}#company-options", {"companies": companies})


@staff_only
@reads_from_replica
def fulfil(request: HttpRequest, public_id) -> HttpResponse:
    """Fulfil, in two steps: what will happen, then the button that does it."""
    po = po_get(actor=request.actor, public_id=public_id)
    if po.is_fulfilled:
        messages.info(request, f"PO {po.po_number} is fulfilled already.")
        return redirect("backoffice:order", public_id=po.public_id)
    return render(request, "backoffice/fulfil.html", {"po": po})


@staff_only
@require_POST
def fulfil_confirmed(request: HttpRequest, public_id) -> HttpResponse:
    po = services.po_fulfil(actor=request.actor, public_id=public_id)
    messages.success(
        request,
        f"PO {po.po_number} is fulfilled: its vouchers were mailed to {po.po_email}.",
    )
    return redirect("backoffice:order", public_id=po.public_id)
