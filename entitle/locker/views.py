from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.routing import reads_from_replica
from entitle.locker import selectors, services
from entitle.locker.forms import RedeemForm

VOUCHERS = "locker/vouchers.html"


def _vouchers_context(request: HttpRequest) -> dict:
    return {
        "vouchers": selectors.voucher_list(actor=request.actor),
        "balances": selectors.locker_balances(actor=request.actor),
    }


@login_required
@reads_from_replica
def vouchers(request: HttpRequest) -> HttpResponse:
    """The Digital Vouchers tab: redeem a code, see the vouchers and the locker's balances."""
    form = RedeemForm(request.POST or None)
    redeemed = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            redeemed = services.voucher_redeem(
                actor=request.actor,
                code=form.cleaned_data["code"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            form = RedeemForm()
    context = {"form": form, "redeemed": redeemed, **_vouchers_context(request)}
    template = f"{VOUCHERS}#redeem-area" if request.htmx else VOUCHERS
    return render(request, template, context, status=status)


@login_required
@reads_from_replica
def locker(request: HttpRequest) -> HttpResponse:
    """The Digital Locker: credits per SKU and every change of them."""
    sku = request.GET.get("sku") or None
    context = {
        "balances": selectors.locker_balances(actor=request.actor),
        "entries": selectors.ledger_list(actor=request.actor, sku_code=sku)[:200],
        "sku": sku,
    }
    return render(request, "locker/locker.html", context)


@login_required
@reads_from_replica
def po_vouchers(request: HttpRequest, public_id) -> HttpResponse:
    """The vouchers issued for one PO, for its page (an htmx fragment) or on their own."""
    vouchers = selectors.po_vouchers(actor=request.actor, po_public_id=public_id)
    template = "locker/po_vouchers.html#vouchers" if request.htmx else "locker/po_vouchers.html"
    return render(request, template, {"vouchers": vouchers, "po_public_id": public_id})
