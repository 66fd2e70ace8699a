"""The webhooks' errors."""

from entitle.core.errors import Conflict, DomainError, NotFound


class EndpointNotFound(NotFound):
    code = "webhook_not_found"
    default_message = "No such webhook endpoint."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    default_message = "No such delivery."


class TargetRefused(DomainError):
    """The URL is not one Entitle will send to: not http(s), or it reaches a private or
    loopback address (the server must not be turned against its own network)."""

    status = 422
    code = "webhook_url_refused"


class EventTypesInvalid(DomainError):
    status = 422
    code = "event_types_invalid"
    default_message = "Choose at least one event to send."


class EndpointDisabled(Conflict):
    code = "webhook_disabled"
    default_message = "This endpoint is disabled: enable it first."
