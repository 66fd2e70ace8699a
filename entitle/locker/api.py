import re
from typing import Annotated

from django.http import HttpRequest
from ninja import Header, Query, Router

from entitle.accounts import scopes
from entitle.accounts.auth import needs
from entitle.accounts.schemas import ErrorOut
from entitle.accounts.token_routes import Route
from entitle.core.actor import Actor
from entitle.core.fields import Key, Reference
from entitle.core.listing import page_schema
from entitle.core.routing import reads_from_replica
from entitle.locker import selectors, services
from entitle.locker.models import Voucher
from entitle.locker.schemas import BalanceOut, LedgerEntryOut, RedeemIn, VoucherOut

router = Router(tags=["vouchers and locker"])


@router.get(
    "/vouchers",
    response={200: page_schema(VoucherOut), 422: ErrorOut},
    summary="Vouchers issued on your POs, and those your company redeemed",
)
@reads_from_replica
def voucher_list(request: HttpRequest, params: Query[selectors.VOUCHERS.Params]):
    return selectors.VOUCHERS.page(selectors.voucher_list(actor=request.auth), params)


@router.post(
    "/vouchers/redeem",
    response={
        200: VoucherOut,
        404: ErrorOut,
        409: ErrorOut,
        410: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Redeem a voucher code into your Digital Locker",
    description="Errors: `voucher_code_required`, `voucher_code_typo` (a mistyped code), "
    "`idempotency_key_invalid` (422); `voucher_not_found` (404); `voucher_redeemed`, "
    "`idempotency_key_reused` (409); `voucher_void` (410); `rate_limited` (429).",
)
def voucher_redeem(
    request: HttpRequest,
    payload: RedeemIn,
    idempotency_key: Annotated[Key | None, Header(alias="Idempotency-Key")] = None,
):
    return redeem(request.auth, payload, idempotency_key)


def redeem(actor: Actor, payload: RedeemIn, idempotency_key: str | None = None) -> Voucher:
    return services.voucher_redeem(
        actor=actor, code=payload.code, idempotency_key=payload.idempotency_key or idempotency_key
    )


# The same route, served without the middleware and ninja's dispatch for the requests whose
# answer cannot differ (entitle.accounts.token_routes; registered by LockerConfig). A request
# with an Idempotency-Key header goes to Django, which reads it.
TOKEN_ROUTES = [
    Route(
        re.compile(r"/api/v1/vouchers/redeem"),
        scopes.scope("locker", scopes.WRITE),
        RedeemIn,
        VoucherOut,
        200,
        redeem,
        unread_headers=("HTTP_IDEMPOTENCY_KEY",),
    )
]


@router.post(
    "/vouchers/{code}/void",
    auth=needs(scopes.VOUCHER_VOID),
    response={200: VoucherOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Void an unredeemed voucher (vendor staff)",
    description="Errors: `vendor_staff_only` (403), `voucher_not_found` (404), "
    "`voucher_redeemed` (409). Voiding a void voucher changes nothing.",
)
def voucher_void(request: HttpRequest, code: Reference):
    voucher = selectors.voucher_get(actor=request.auth, code=code)
    return services.voucher_void(actor=request.auth, voucher_id=voucher.pk)


@router.get(
    "/locker",
    response={200: page_schema(BalanceOut), 422: ErrorOut},
    summary="Your Digital Locker: credits per SKU",
)
@reads_from_replica
def locker_balances(request: HttpRequest, params: Query[selectors.BALANCES.Params]):
    return selectors.BALANCES.page(selectors.locker_balances(actor=request.auth), params)


@router.get(
    "/locker/ledger",
    response={200: page_schema(LedgerEntryOut), 422: ErrorOut},
    summary="Every change of your credits, newest first",
)
@reads_from_replica
def ledger_list(request: HttpRequest, params: Query[selectors.LEDGER.Params]):
    return selectors.LEDGER.page(selectors.ledger_list(actor=request.auth), params)
