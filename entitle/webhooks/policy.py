"""Who may see and change webhook endpoints and their delivery logs: the company's
administrators (and tokens acting as one); vendor staff in the back office."""

from django.db.models import Q

from entitle.core.actor import Actor
from entitle.core.policy import Action, rule
from entitle.webhooks.models import Delivery, DeliveryAttempt, Endpoint


def _admin_of(actor: Actor, path: str) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if actor.is_company_admin and actor.company is not None:
        return Q(**{path: actor.company})
    return None


@rule(Endpoint)
def endpoint_rule(actor: Actor, action: Action) -> Q | None:
    return _admin_of(actor, "company")


@rule(Delivery)
def delivery_rule(actor: Actor, action: Action) -> Q | None:
    return _admin_of(actor, "endpoint__company")


@rule(DeliveryAttempt)
def delivery_attempt_rule(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    return _admin_of(actor, "delivery__endpoint__company")
