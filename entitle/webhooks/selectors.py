import uuid
from typing import Literal, get_args

from django.db.models import Q, QuerySet

from entitle.core.actor import Actor
from entitle.core.listing import Filter, Listing, Sort, choice_filter
from entitle.core.policy import Action, RestrictedPrefetch
from entitle.webhooks import catalogue
from entitle.webhooks.errors import DeliveryNotFound, EndpointNotFound
from entitle.webhooks.models import Delivery, DeliveryAttempt, Endpoint


def endpoint_list(*, actor: Actor) -> QuerySet[Endpoint]:
    """The company's own endpoints (vendor staff see every company's in the back office)."""
    return (
        Endpoint.objects.visible_to(actor, Action.VIEW)
        .filter(company=actor.company)
        .select_related("created_by")
    )


def endpoint_get(*, actor: Actor, public_id) -> Endpoint:
    try:
        return endpoint_list(actor=actor).get(public_id=public_id)
    except (Endpoint.DoesNotExist, ValueError) as exc:
        raise EndpointNotFound() from exc


def delivery_list(*, actor: Actor, endpoint: Endpoint) -> QuerySet[Delivery]:
    """The delivery log of an endpoint, each delivery with its attempts (`visible_attempts`)."""
    return (
        Delivery.objects.visible_to(actor, Action.VIEW)
        .filter(endpoint=endpoint)
        .prefetch_related(
            RestrictedPrefetch(
                "attempt_log", DeliveryAttempt, actor=actor, to_attr="visible_attempts"
            )
        )
    )


def delivery_get(*, actor: Actor, endpoint: Endpoint, public_id) -> Delivery:
    try:
        return delivery_list(actor=actor, endpoint=endpoint).get(public_id=public_id)
    except (Delivery.DoesNotExist, ValueError) as exc:
        raise DeliveryNotFound() from exc


# --- Lists (entitle.core.listing).

EventName = Literal[(*catalogue.EVENT_TYPES, catalogue.TEST_EVENT)]  # type: ignore[valid-type]


def _delivery_search(text: str) -> Q:
    """A delivery by its message id (the `webhook-id` header its receiver logged), or by its
    event type."""
    found = Q(event_type__icontains=text)
    hexa = text.strip().removeprefix("msg_")
    try:
        return found | Q(public_id=uuid.UUID(hex=hexa))
    except ValueError:
        return found


ENDPOINTS = Listing(
    search=lambda text: Q(url__icontains=text) | Q(description__icontains=text),
    search_hint="URL or description",
    sorts={"created": Sort("Created", "created_at"), "url": Sort("URL", "url")},
    default="-created",
    filters={
        "status": choice_filter("Status", Endpoint.Status, "status"),
    },
)

DELIVERIES = Listing(
    search=_delivery_search,
    search_hint="Message id (msg_…) or event type",
    sorts={"created": Sort("Created", "created_at")},
    default="-created",
    filters={
        "status": choice_filter("Status", Delivery.Status, "status"),
        "event_type": Filter(
            "Event",
            EventName,
            lambda rows, name: rows.filter(event_type=name),
            choices=lambda: [(name, name) for name in get_args(EventName)],
        ),
    },
)
