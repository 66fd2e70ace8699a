from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from entitle.accounts.schemas import ErrorOut
from entitle.core.fields import Reference
from entitle.core.listing import page_schema
from entitle.core.routing import reads_from_replica
from entitle.renewals import selectors
from entitle.renewals.schemas import (
    AnswerIn,
    PartnerMailIn,
    PartnerMailOut,
    PartnerOut,
    RenewalOptionsOut,
    RenewalRequestIn,
    RenewalRequestOut,
    ShopOrderIn,
    ShopOrderOut,
    SoldExpiryOut,
)
from entitle.renewals.services import partners, shop

router = Router(tags=["renewals"])

ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
FOR_THE_OWNER = (
    "For the licence's owner and the delegates that manage it; anyone else gets "
    "`licence_not_found` (404)."
)


@router.get(
    "/licences/{activation_id}/renewal",
    response={200: RenewalOptionsOut, 404: ErrorOut},
    summary="The renewal options of a licence",
    description="Renew with Digital Locker credits (with its quote), order online at the "
    "direct price, or ask a partner (the partners that sold the licence first). " + FOR_THE_OWNER,
)
def renewal_options(request: HttpRequest, activation_id: Reference):
    return selectors.renewal_options(actor=request.auth, activation_id=activation_id)


@router.post(
    "/licences/{activation_id}/renewal/requests",
    response={201: RenewalRequestOut, **ERRORS},
    summary="Request renewal from a partner of the directory",
    description="The partner sees the request in the portal and by mail: the licence's "
    "entitlement information, your message, and your contact only with `include_contact`. "
    "Errors: `partner_not_found` (404), `rate_limited` (429). " + FOR_THE_OWNER,
)
def renewal_request_create(
    request: HttpRequest, activation_id: Reference, payload: RenewalRequestIn
):
    return 201, partners.renewal_request_create(
        actor=request.auth,
        activation_id=activation_id,
        partner_id=payload.partner,
        message=payload.message,
        include_contact=payload.include_contact,
    )


@router.post(
    "/licences/{activation_id}/renewal/partner-email",
    response={202: PartnerMailOut, **ERRORS},
    summary="E-mail a partner of the directory about renewing a licence",
    description="The mail carries the SKU, quantity and Subscription ID, your message, and "
    "your name and e-mail address to answer to. " + FOR_THE_OWNER,
)
def partner_email(request: HttpRequest, activation_id: Reference, payload: PartnerMailIn):
    sent_to = partners.partner_mail_send(
        actor=request.auth,
        activation_id=activation_id,
        partner_id=payload.partner,
        message=payload.message,
    )
    return 202, {"sent_to": sent_to}


@router.post(
    "/licences/{activation_id}/renewal/shop-order",
    response={201: ShopOrderOut, **ERRORS},
    summary="Order a renewal online from the vendor's shop, at the direct price",
    description="Places a direct-channel PO for one term of the licence's SKU and quantity. "
    "Vendor staff fulfil it; redeeming its voucher renews the licence (or, for a product "
    "that cannot be renewed after expiry, creates the new subscription). Send an "
    "`idempotency_key`: the same order twice is placed once. " + FOR_THE_OWNER,
)
def shop_order(request: HttpRequest, activation_id: Reference, payload: ShopOrderIn):
    return 201, shop.shop_order_place(
        actor=request.auth, activation_id=activation_id, idempotency_key=payload.idempotency_key
    )


@router.get(
    "/partners",
    response={200: page_schema(PartnerOut), 422: ErrorOut},
    summary="The partner directory",
    description="Partners and the products they sell, paged by cursor; `q` searches names, "
    "summaries and products, `country` is an ISO code, `product` a product code.",
)
@reads_from_replica
def partner_directory(request: HttpRequest, params: Query[selectors.PARTNERS.Params]):
    return selectors.partner_page(actor=request.auth, params=params)


RequestPageOut = page_schema(RenewalRequestOut)
REQUESTS_HELP = (
    "Pages by cursor; filter by `status` and `kind`; `q` searches the Subscription ID, SKU, "
    "product, partner and the requester's contact (where included)."
)


@router.get(
    "/renewal-requests/sent",
    response={200: RequestPageOut, 422: ErrorOut},
    summary="The renewal requests your company sent",
    description=REQUESTS_HELP,
)
@reads_from_replica
def requests_sent(request: HttpRequest, params: Query[selectors.RENEWAL_REQUESTS.Params]):
    rows = selectors.renewal_requests_sent(actor=request.auth)
    return selectors.RENEWAL_REQUESTS.page(rows, params)


@router.get(
    "/renewal-requests/received",
    response={200: RequestPageOut, 422: ErrorOut},
    summary="The renewal requests sent to your company (a partner)",
    description=REQUESTS_HELP,
)
@reads_from_replica
def requests_received(request: HttpRequest, params: Query[selectors.RENEWAL_REQUESTS.Params]):
    rows = selectors.renewal_requests_received(actor=request.auth)
    return selectors.RENEWAL_REQUESTS.page(rows, params)


@router.post(
    "/renewal-requests/{uuid:request_id}/answer",
    response={200: RenewalRequestOut, **ERRORS},
    summary="Answer a renewal request sent to your company",
    description="The answer is mailed to the requester; you do not learn their address. "
    "Errors: `renewal_request_not_found` (404), `renewal_request_answered` (409).",
)
def request_answer(request: HttpRequest, request_id: UUID, payload: AnswerIn):
    return partners.renewal_request_answer(
        actor=request.auth, public_id=request_id, answer=payload.answer
    )


@router.get(
    "/partner/expiries",
    response={200: page_schema(SoldExpiryOut), 422: ErrorOut},
    summary="Upcoming expiries of the entitlements your company sold",
    description="Licences paid for by POs where your company is the purchasing entity or "
    "the reseller that end within six months, are in grace, or expired recently: "
    "entitlement information only, soonest end first, paged by cursor; `ends_within` keeps "
    "those that end within that many days.",
)
@reads_from_replica
def sold_expiries(request: HttpRequest, params: Query[selectors.SOLD_EXPIRIES.Params]):
    return selectors.sold_expiry_page(actor=request.auth, params=params)
