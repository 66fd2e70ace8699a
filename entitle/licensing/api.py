import re
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from pydantic import TypeAdapter

from entitle.accounts import scopes
from entitle.accounts.auth import needs
from entitle.accounts.schemas import ErrorOut
from entitle.accounts.token_routes import Route
from entitle.catalog.selectors import product_get_by_code, sku_get_by_code
from entitle.core.actor import Actor
from entitle.core.errors import Conflict
from entitle.core.fields import Reference
from entitle.core.listing import page_schema
from entitle.core.routing import reads_from_replica
from entitle.licensing import product_http, selectors, signing
from entitle.licensing.models import ConsumptionRecord
from entitle.licensing.schemas import (
    ActivationOut,
    AssignIn,
    ConsumptionOut,
    CreateIn,
    DeviceIn,
    DeviceOut,
    EntitlementOut,
    IncreaseIn,
    IncreaseQuoteIn,
    LicenceFileOut,
    LicenceOut,
    QuoteOut,
    RehostIn,
    RenewIn,
    RenewQuoteIn,
    SuspendIn,
)
from entitle.licensing.services import devices, licences

router = Router(tags=["licences"])
device_router = Router(tags=["devices"])
product_router = Router(tags=["product side"])
entitlement_router = Router(tags=["entitlements"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CONSUMING = (
    "Consumes locker credits. Send an `idempotency_key`: the same request twice consumes once. "
    "Errors: `insufficient_credits`, `idempotency_key_reused`, `consumption_failed` (the "
    "credits were returned; see the consumption history) (409); `licence_not_found` (404)."
)


class ConsumptionFailed(Conflict):
    code = "consumption_failed"


def _completed(record: ConsumptionRecord) -> ConsumptionRecord:
    if record.status == ConsumptionRecord.Status.FAILED:
        raise ConsumptionFailed(record.failure_reason)
    return record


def create(actor: Actor, payload: CreateIn) -> ConsumptionRecord:
    sku = sku_get_by_code(actor=actor, code=payload.sku)
    record = licences.licence_create(
        actor=actor,
        sku=sku,
        quantity=payload.quantity,
        terms=payload.terms,
        start_date=payload.start_date,
        idempotency_key=payload.idempotency_key,
    )
    return _completed(record)


@router.post(
    "/licences",
    response={201: ConsumptionOut, **ERRORS},
    description=CONSUMING,
    summary="Create a licence from locker credits (quantity × terms credits)",
)
def licence_create(request: HttpRequest, payload: CreateIn):
    return Status(201, create(request.auth, payload))


@router.get(
    "/licences",
    response={200: page_schema(LicenceOut), 422: ErrorOut},
    summary="Your licences, with their status",
)
@reads_from_replica
def licence_list(request: HttpRequest, params: Query[selectors.LICENCES.Params]):
    return selectors.LICENCES.page(selectors.licence_list(actor=request.auth), params)


@router.get(
    "/licences/{activation_id}",
    response={200: LicenceOut, 404: ErrorOut},
    summary="A licence by its id, or by its Activation ID (owner, `manage` delegates, vendor)",
)
def licence_get(request: HttpRequest, activation_id: Reference):
    return selectors.licence_get(actor=request.auth, activation_id=activation_id)


@router.post(
    "/licences/{activation_id}/increase/quote",
    response={200: QuoteOut, **ERRORS},
    summary="Price an increase of quantity (prorated), changing nothing",
)
def increase_quote(request: HttpRequest, activation_id: Reference, payload: IncreaseQuoteIn):
    return licences.quote_increase(
        actor=request.auth, activation_id=activation_id, quantity=payload.quantity
    )


def increase_licence(actor: Actor, payload: IncreaseIn, activation_id: str) -> ConsumptionRecord:
    return _completed(
        licences.licence_increase(
            actor=actor,
            activation_id=activation_id,
            quantity=payload.quantity,
            idempotency_key=payload.idempotency_key,
        )
    )


@router.post(
    "/licences/{activation_id}/increase",
    response={200: ConsumptionOut, **ERRORS},
    summary="Increase the quantity",
    description=CONSUMING,
)
def increase(request: HttpRequest, activation_id: Reference, payload: IncreaseIn):
    return increase_licence(request.auth, payload, activation_id)


def _renewal_sku(actor: Actor, code: str | None):
    return sku_get_by_code(actor=actor, code=code) if code else None


@router.post(
    "/licences/{activation_id}/renew/quote",
    response={200: QuoteOut, **ERRORS},
    summary="Price a renewal and show the new dates, changing nothing",
)
def renew_quote(request: HttpRequest, activation_id: Reference, payload: RenewQuoteIn):
    return licences.quote_renew(
        actor=request.auth,
        activation_id=activation_id,
        terms=payload.terms,
        sku=_renewal_sku(request.auth, payload.sku),
    )


def renew_licence(actor: Actor, payload: RenewIn, activation_id: str) -> ConsumptionRecord:
    return _completed(
        licences.licence_renew(
            actor=actor,
            activation_id=activation_id,
            terms=payload.terms,
            sku=_renewal_sku(actor, payload.sku),
            idempotency_key=payload.idempotency_key,
        )
    )


@router.post(
    "/licences/{activation_id}/renew",
    response={200: ConsumptionOut, **ERRORS},
    summary="Renew / extend by whole terms",
    description=CONSUMING,
)
def renew(request: HttpRequest, activation_id: Reference, payload: RenewIn):
    return renew_licence(request.auth, payload, activation_id)


# The same three routes, served without the middleware and ninja's dispatch for the requests
# whose answer cannot differ (entitle.accounts.token_routes; registered by LicensingConfig).
_WRITE = scopes.scope("licences", scopes.WRITE)
_REFERENCE = {"activation_id": TypeAdapter(Reference)}
TOKEN_ROUTES = [
    Route(re.compile(r"/api/v1/licences"), _WRITE, CreateIn, ConsumptionOut, 201, create),
    Route(
        re.compile(r"/api/v1/licences/(?P<activation_id>[^/]+)/increase"),
        _WRITE,
        IncreaseIn,
        ConsumptionOut,
        200,
        increase_licence,
        _REFERENCE,
    ),
    Route(
        re.compile(r"/api/v1/licences/(?P<activation_id>[^/]+)/renew"),
        _WRITE,
        RenewIn,
        ConsumptionOut,
        200,
        renew_licence,
        _REFERENCE,
    ),
]


@router.post(
    "/licences/{activation_id}/suspend",
    auth=needs(scopes.LICENCE_SUSPEND),
    response={200: LicenceOut, **ERRORS},
    summary="Suspend a licence (vendor staff)",
)
def suspend(request: HttpRequest, activation_id: Reference, payload: SuspendIn):
    licences.licence_suspend(actor=request.auth, activation_id=activation_id, reason=payload.reason)
    return selectors.licence_get(actor=request.auth, activation_id=activation_id)


@router.post(
    "/licences/{activation_id}/reinstate",
    auth=needs(scopes.LICENCE_SUSPEND),
    response={200: LicenceOut, **ERRORS},
    summary="Reinstate a suspended licence (vendor staff)",
)
def reinstate(request: HttpRequest, activation_id: Reference):
    licences.licence_reinstate(actor=request.auth, activation_id=activation_id)
    return selectors.licence_get(actor=request.auth, activation_id=activation_id)


@router.get(
    "/consumption",
    response={200: page_schema(ConsumptionOut), 422: ErrorOut},
    summary="Consumption history: every use of your company's credits, newest first",
)
@reads_from_replica
def consumption_list(request: HttpRequest, params: Query[selectors.CONSUMPTION.Params]):
    return selectors.CONSUMPTION.page(selectors.consumption_list(actor=request.auth), params)


@device_router.post("/devices", response={201: DeviceOut, **ERRORS}, summary="Register a device")
def device_register(request: HttpRequest, payload: DeviceIn):
    device = devices.device_register(
        actor=request.auth,
        product=product_get_by_code(actor=request.auth, code=payload.product),
        name=payload.name,
        host_id=payload.host_id,
        location=payload.location,
    )
    return 201, selectors.device_get(actor=request.auth, public_id=device.public_id)


@device_router.get(
    "/devices", response={200: page_schema(DeviceOut), 422: ErrorOut}, summary="Your devices"
)
@reads_from_replica
def device_list(request: HttpRequest, params: Query[selectors.DEVICES.Params]):
    return selectors.DEVICES.page(selectors.device_list(actor=request.auth), params)


@device_router.post(
    "/devices/{uuid:device_id}/licences",
    response={200: LicenceFileOut, **ERRORS},
    summary='Assign a licence to the device ("Add License"), or apply its new quantity',
    description="Issues a new licence file for the device. Errors: `assignment_refused` (one "
    "licence per device, or no devices left on the licence), `licence_expired`, "
    "`licence_suspended` (409).",
)
def device_assign(request: HttpRequest, device_id: UUID, payload: AssignIn):
    return devices.licence_assign(
        actor=request.auth, activation_id=payload.activation_id, device_public_id=device_id
    )


@device_router.get(
    "/devices/{uuid:device_id}/licences/{activation_id}/file",
    response={200: None, 404: ErrorOut},
    summary="Download the device's newest offline licence file",
    openapi_extra={"responses": {"200": {"content": {"text/plain": {}}}}},
)
def licence_file_download(request: HttpRequest, device_id: UUID, activation_id: Reference):
    file = selectors.licence_file_latest(
        actor=request.auth, activation_id=activation_id, device_public_id=device_id
    )
    response = HttpResponse(file.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@device_router.post(
    "/devices/{uuid:device_id}/licences/{licence_id}/deactivate",
    response={200: DeviceOut, **ERRORS},
    summary="Deactivate the licence on this device (its seat is freed)",
    description="The device's file is superseded: it gets no new file and no new lease. "
    "`licence_id` is the licence's id or Activation ID. Errors: `licence_not_on_device` (404).",
)
def device_deactivate(request: HttpRequest, device_id: UUID, licence_id: Reference):
    devices.binding_deactivate(
        actor=request.auth,
        activation_id=licence_id,
        device_public_id=device_id,
        address=request.META.get("REMOTE_ADDR", ""),
    )
    return selectors.device_get(actor=request.auth, public_id=device_id)


@device_router.post(
    "/devices/{uuid:device_id}/licences/{licence_id}/rehost",
    response={200: LicenceFileOut, **ERRORS},
    summary="Rehost: move the licence from this device to another host id",
    description="Registers the new host as a device if it is new and issues its licence file. "
    "Limited per term (the product's `rehosts_per_term`). Errors: `rehost_limit` (409), "
    "`licence_not_on_device` (404), `device_invalid` (422).",
)
def licence_rehost(request: HttpRequest, device_id: UUID, licence_id: Reference, payload: RehostIn):
    return devices.licence_rehost(
        actor=request.auth,
        activation_id=licence_id,
        device_public_id=device_id,
        host_id=payload.host_id,
        name=payload.name,
        address=request.META.get("REMOTE_ADDR", ""),
    )


@product_router.get("/keys", auth=None, summary="The vendor's public keys (JWKS)")
def keys(request: HttpRequest):
    return signing.jwks()


PRODUCT_ERRORS = {413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 429: ErrorOut}
ANSWER = (
    " Answers `{token, licence}`: `token` is a JWS signed by the vendor whose claims carry "
    "`code` (VALID, EXPIRING, GRACE, NOT_YET_VALID, EXPIRED, SUSPENDED, NOT_FOUND, "
    "HOST_MISMATCH, DEACTIVATED, TOO_MANY_DEVICES, PROOF_REQUIRED), `valid`, `status`, "
    "`days_left`, `lease_until`, `nonce`; `licence` is an armoured licence file or null "
    "(docs/licence-files.md). Authenticated by the Activation ID and host id."
)


def _product(request: HttpRequest, action: str) -> HttpResponse:
    status, headers, body = product_http.respond(
        action,
        request.body,
        request.META.get("CONTENT_TYPE", ""),
        request.META.get("REMOTE_ADDR", ""),
    )
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


@product_router.post(
    "/product/activate",
    auth=None,
    response={200: ActivationOut, **PRODUCT_ERRORS},
    openapi_extra=product_http.openapi_body("activate"),
    summary="Activate: bind this host to the licence (within its seats), get its licence file",
    description="A refused activation (TOO_MANY_DEVICES) changes nothing." + ANSWER,
)
def activate(request: HttpRequest):
    return _product(request, "activate")


@product_router.post(
    "/product/validate",
    auth=None,
    response={200: ActivationOut, **PRODUCT_ERRORS},
    openapi_extra=product_http.openapi_body("validate"),
    summary="Validate: may this host run the licensed product now? Renews the lease",
    description="`licence` carries a fresh file when the lease was renewed or `serial` is "
    "older than the newest file." + ANSWER,
)
def validate(request: HttpRequest):
    return _product(request, "validate")


@product_router.post(
    "/product/deactivate",
    auth=None,
    response={200: ActivationOut, **PRODUCT_ERRORS},
    openapi_extra=product_http.openapi_body("deactivate"),
    summary="Deactivate: the product frees its own seat",
    description="A binding with an installation key needs the installation's signed `proof`."
    + ANSWER,
)
def deactivate(request: HttpRequest):
    return _product(request, "deactivate")


@product_router.post(
    "/product/airgap/activate",
    auth=None,
    response={200: ActivationOut, **PRODUCT_ERRORS},
    openapi_extra=product_http.openapi_body("airgap/activate"),
    summary="Air-gapped activation: an activation request file in, a response file out",
    description="`licence` is the response file the product installs." + ANSWER,
)
def airgap_activate(request: HttpRequest):
    return _product(request, "airgap/activate")


@product_router.post(
    "/product/airgap/deactivate",
    auth=None,
    response={200: ActivationOut, **PRODUCT_ERRORS},
    openapi_extra=product_http.openapi_body("airgap/deactivate"),
    summary="Air-gapped deactivation: the installation's deactivation proof frees its seat",
    description=ANSWER,
)
def airgap_deactivate(request: HttpRequest):
    return _product(request, "airgap/deactivate")


@entitlement_router.get(
    "/entitlements",
    response={200: page_schema(EntitlementOut), 422: ErrorOut},
    summary="Entitlement information visible to you",
    description="One row per Subscription ID (per licence, if its credits were split): the "
    "SKU, quantity, start and end date (the first day not covered) and status of the licence "
    "its credits created, renewed or grew, as it is today — before that, what was fulfilled — "
    "and the purchasing entity's PO number. For every PO on which your company holds a role, "
    "and the licences an owner shared with you. Latest end first by default.",
)
@reads_from_replica
def entitlement_list(request: HttpRequest, params: Query[selectors.ENTITLEMENTS.Params]):
    page = selectors.ENTITLEMENTS.page(selectors.entitlement_list(actor=request.auth), params)
    today = timezone.localdate()
    items = [selectors.entitlement_row(row, on=today) for row in page.items]
    return {"items": items, "next_cursor": page.next_cursor}
