from django.db.models import QuerySet

from entitle.core.actor import Actor
from entitle.core.policy import Action, RestrictedPrefetch
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
