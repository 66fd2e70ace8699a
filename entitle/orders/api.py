from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from entitle.accounts import scopes
from entitle.accounts.auth import needs
from entitle.accounts.schemas import ErrorOut
from entitle.accounts.selectors import company_get
from entitle.catalog.selectors import sku_get_by_code
from entitle.core.fields import Reference
from entitle.core.listing import page_schema
from entitle.core.policy import require_vendor_staff
from entitle.core.routing import reads_from_replica
from entitle.orders import selectors, services
from entitle.orders.schemas import PurchaseOrderIn, PurchaseOrderOut

router = Router(tags=["orders"])


@router.post(
    "/orders",
    auth=needs(scopes.PO_RECORD),
    response={201: PurchaseOrderOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Record a purchase order (vendor staff)",
    description="Companies are given by id (`GET /companies`), SKUs by code. Errors: "
    "`vendor_staff_only` (403), `po_duplicate` (409), `po_invalid` (422).",
)
def po_record(request: HttpRequest, payload: PurchaseOrderIn):
    actor = request.auth
    require_vendor_staff(actor)

    def company(company_id: int | None):
        return None if company_id is None else company_get(actor=actor, company_id=company_id)

    po = services.po_record(
        actor=actor,
        po_number=payload.po_number,
        po_email=payload.po_email,
        channel=payload.channel,
        msa_reference=payload.msa_reference,
        ordered_on=payload.ordered_on,
        purchasing_entity=company(payload.purchasing_entity),
        owner=company(payload.owner),
        reseller=company(payload.reseller),
        installer=company(payload.installer),
        lines=[
            services.LineInput(
                sku=sku_get_by_code(actor=actor, code=line.sku),
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in payload.lines
        ],
    )
    return 201, selectors.po_get(actor=actor, public_id=po.public_id)


@router.post(
    "/orders/{uuid:po_id}/fulfil",
    auth=needs(scopes.PO_FULFIL),
    response={200: PurchaseOrderOut, 403: ErrorOut, 404: ErrorOut},
    summary="Fulfil a purchase order (vendor staff): one voucher per line, mailed to the PO email",
    description="Idempotent: fulfilling a fulfilled PO issues nothing new.",
)
def po_fulfil(request: HttpRequest, po_id: UUID):
    services.po_fulfil(actor=request.auth, public_id=po_id)
    return selectors.po_get(actor=request.auth, public_id=po_id)


@router.get(
    "/orders",
    response={200: page_schema(PurchaseOrderOut), 422: ErrorOut},
    summary="Your purchase orders (order details: the purchasing entity's)",
    description="Pages by cursor; `q` searches PO numbers and the names of the PO's companies "
    "you may see; `status` and a window of `ordered_from`/`ordered_to` dates narrow it.",
)
@reads_from_replica
def po_list(request: HttpRequest, params: Query[selectors.POS.Params]):
    return selectors.POS.page(selectors.po_list(actor=request.auth), params)


@router.get(
    "/orders/lookup",
    response={200: PurchaseOrderOut, 404: ErrorOut},
    summary="Look up a PO by its number",
    description="Answers only users of the PO's purchasing entity; everyone else gets the "
    "`po_not_found` answer a number that does not exist gets.",
)
def po_lookup(request: HttpRequest, po_number: Reference):
    return selectors.po_lookup(actor=request.auth, po_number=po_number)


@router.get("/orders/{uuid:po_id}", response={200: PurchaseOrderOut, 404: ErrorOut})
def po_get(request: HttpRequest, po_id: UUID):
    return selectors.po_get(actor=request.auth, public_id=po_id)
