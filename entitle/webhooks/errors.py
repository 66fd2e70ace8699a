"""The webhooks' errors."""

from entitle.core.errors import Conflict, DomainError, NotFound


class EndpointNotFound(NotFound):
    code = "webhook_not_found"
    default_message = "No such webhook endpoint."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    default_message = "No such delivery."


class EventTypesInvalid(DomainError):
    status = 422
    code = "event_types_invalid"
    default_message = "Choose at least one event to send."


class EndpointDisabled(Conflict):
    code = "webhook_disabled"
    default_message = "This endpoint is disabled: enable it first."
