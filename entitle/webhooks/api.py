"""Webhook endpoints and their delivery logs in the API (the `webhooks` scope)."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from entitle.accounts.schemas import ErrorOut
from entitle.core.listing import page_schema
from entitle.webhooks import catalogue, selectors, services, tasks
from entitle.webhooks.schemas import (
    DeliveryOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointSecretOut,
    EventTypeOut,
)

router = Router(tags=["webhooks"])
ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
SIGNING = (
    "Each delivery is a POST of `{type, timestamp, data}` signed per Standard Webhooks "
    "(https://www.standardwebhooks.com): verify the `webhook-signature` header with the "
    "endpoint's secret, e.g. `standardwebhooks.Webhook(secret).verify(body, headers)`. "
    "Failed attempts (no 2xx within the timeout) are retried with exponential backoff; an "
    "endpoint that keeps failing is disabled."
)


@router.get("/webhooks/event-types", response=list[EventTypeOut], summary="Webhook event types")
def event_types(request: HttpRequest):
    """A fixed catalogue (`entitle.webhooks.catalogue`, a score of names), not a list of rows:
    it is answered whole, without pages."""
    return [{"name": n, "description": d} for n, d in catalogue.EVENT_TYPES.items()]


@router.get(
    "/webhooks",
    response={200: page_schema(EndpointOut), 422: ErrorOut},
    summary="Your company's webhook endpoints",
)
def endpoint_list(request: HttpRequest, params: Query[selectors.ENDPOINTS.Params]):
    return selectors.ENDPOINTS.page(selectors.endpoint_list(actor=request.auth), params)


@router.post(
    "/webhooks",
    response={201: EndpointSecretOut, **ERRORS},
    summary="Register a webhook endpoint (administrators)",
    description=f"{SIGNING} Errors: `webhook_url_refused`, `event_types_invalid` (422).",
)
def endpoint_create(request: HttpRequest, payload: EndpointIn):
    endpoint, secret = services.endpoint_create(
        actor=request.auth,
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
    )
    endpoint.secret = secret
    return 201, endpoint


@router.get("/webhooks/{uuid:endpoint_id}", response={200: EndpointOut, 404: ErrorOut})
def endpoint_get(request: HttpRequest, endpoint_id: UUID):
    return selectors.endpoint_get(actor=request.auth, public_id=endpoint_id)


@router.patch(
    "/webhooks/{uuid:endpoint_id}",
    response={200: EndpointOut, **ERRORS},
    summary="Change an endpoint's URL, events or description, or enable or disable it",
)
def endpoint_update(request: HttpRequest, endpoint_id: UUID, payload: EndpointPatch):
    return services.endpoint_update(
        actor=request.auth,
        public_id=endpoint_id,
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
        enabled=payload.enabled,
    )


@router.post(
    "/webhooks/{uuid:endpoint_id}/rotate-secret",
    response={200: EndpointSecretOut, **ERRORS},
    summary="Replace an endpoint's signing secret (the new one is shown once)",
)
def endpoint_rotate_secret(request: HttpRequest, endpoint_id: UUID):
    endpoint, secret = services.endpoint_rotate_secret(actor=request.auth, public_id=endpoint_id)
    endpoint.secret = secret
    return endpoint


@router.post(
    "/webhooks/{uuid:endpoint_id}/test",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a `webhook.test` event to the endpoint now",
)
def endpoint_test(request: HttpRequest, endpoint_id: UUID):
    delivery = services.endpoint_test(
        actor=request.auth, public_id=endpoint_id, queue=tasks.queue_attempt
    )
    return 202, selectors.delivery_get(
        actor=request.auth, endpoint=delivery.endpoint, public_id=delivery.public_id
    )


@router.get(
    "/webhooks/{uuid:endpoint_id}/deliveries",
    response={200: page_schema(DeliveryOut), **ERRORS},
    summary="The delivery log: each delivery with its attempts, newest first",
)
def delivery_list(
    request: HttpRequest, endpoint_id: UUID, params: Query[selectors.DELIVERIES.Params]
):
    endpoint = selectors.endpoint_get(actor=request.auth, public_id=endpoint_id)
    deliveries = selectors.delivery_list(actor=request.auth, endpoint=endpoint)
    return selectors.DELIVERIES.page(deliveries, params)


@router.post(
    "/webhooks/{uuid:endpoint_id}/deliveries/{uuid:delivery_id}/redeliver",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a delivery again now (same message id)",
)
def delivery_redeliver(request: HttpRequest, endpoint_id: UUID, delivery_id: UUID):
    endpoint = selectors.endpoint_get(actor=request.auth, public_id=endpoint_id)
    delivery = selectors.delivery_get(actor=request.auth, endpoint=endpoint, public_id=delivery_id)
    services.delivery_redeliver(
        actor=request.auth, public_id=delivery.public_id, queue=tasks.queue_attempt
    )
    return 202, selectors.delivery_get(actor=request.auth, endpoint=endpoint, public_id=delivery_id)
