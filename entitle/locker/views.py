from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.listing import Column, list_response
from entitle.core.policy import may_see
from entitle.core.routing import reads_from_replica
from entitle.locker import selectors, services
from entitle.locker.forms import RedeemForm

VOUCHERS = "locker/vouchers.html"


def _redeemer(voucher) -> str | None:
    if voucher.redeemed_at and may_see(voucher, "redeemer"):
        return voucher.redeemed_by_company.name
    return None


# The CSV of the vouchers: what their rows show, who redeemed one only to those who may see it.
VOUCHER_COLUMNS = (
    Column("Code", lambda voucher: voucher.code),
    Column("Product", lambda voucher: voucher.sku.product.name),
    Column("SKU", lambda voucher: voucher.sku.code),
    Column("Credits", lambda voucher: voucher.credits),
    Column("PO number", lambda voucher: voucher.line.po.po_number),
    Column("Subscription ID", lambda voucher: voucher.entitlement.subscription_id),
    Column("Status", lambda voucher: voucher.get_status_display()),
    Column("Redeemed", lambda voucher: voucher.redeemed_at),
    Column("Redeemed by", _redeemer),
)

LEDGER_COLUMNS = (
    Column("When", lambda entry: entry.created_at),
    Column("SKU", lambda entry: entry.locker.sku.code),
    Column("What", lambda entry: entry.get_kind_display()),
    Column("Reason", lambda entry: entry.reason),
    Column("Credits", lambda entry: entry.amount),
    Column("Voucher", lambda entry: entry.voucher.code if entry.voucher else None),
    Column("By", lambda entry: entry.created_by.name if entry.created_by else None),
)


@login_required
@reads_from_replica
def vouchers(request: HttpRequest) -> HttpResponse:
    """The Digital Vouchers tab: redeem a code, see the vouchers (a page at a time) and the
    locker's balances (one per SKU of the catalog at most)."""
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
    response = list_response(
        request,
        selectors.VOUCHERS,
        selectors.voucher_list(actor=request.actor),
        template=f"{VOUCHERS}#redeem-area" if request.htmx else VOUCHERS,
        context={
            "form": form,
            "redeemed": redeemed,
            "balances": selectors.locker_balances(actor=request.actor),
        },
        filename="vouchers.csv",
        columns=VOUCHER_COLUMNS,
    )
    response.status_code = status
    return response


@login_required
@reads_from_replica
def locker(request: HttpRequest) -> HttpResponse:
    """The Digital Locker: credits per SKU, and every change of them a page at a time."""
    return list_response(
        request,
        selectors.LEDGER,
        selectors.ledger_list(actor=request.actor),
        template="locker/locker.html",
        context={
            "balances": selectors.locker_balances(actor=request.actor),
            "sku": request.GET.get("sku") or None,
        },
        filename="ledger.csv",
        columns=LEDGER_COLUMNS,
    )


@login_required
@reads_from_replica
def po_vouchers(request: HttpRequest, public_id) -> HttpResponse:
    """The vouchers issued for one PO, a page at a time; its first page is also a fragment of
    the PO's page (htmx), which links here for the rest."""
    template = "locker/po_vouchers.html#vouchers" if request.htmx else "locker/po_vouchers.html"
    return list_response(
        request,
        selectors.PO_VOUCHERS,
        selectors.po_vouchers(actor=request.actor, po_public_id=public_id),
        template=template,
        context={"po_public_id": public_id},
        filename="po-vouchers.csv",
        columns=VOUCHER_COLUMNS,
    )
