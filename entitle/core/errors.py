"""Domain errors: a status and a stable code, rendered once for the API and once for the portal.

Services raise these; nothing else decides how an error looks to a user.
"""

from typing import ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid"
    default_message: ClassVar[str] = "The request could not be processed."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        # The form field the message belongs next to in the portal, if any.
        self.field = field
        super().__init__(self.message)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def headers(self) -> dict[str, str]:
        """HTTP headers that belong with this error (e.g. Retry-After)."""
        return {}


class NotFound(DomainError):
    """Missing and forbidden look the same: this is the only answer to either."""

    status = 404
    code = "not_found"
    default_message = "Not found."


class PermissionDenied(DomainError):
    """For an object the actor may see but not change (never for one it may not see)."""

    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = "Too many attempts. Please wait a while and try again."

    def __init__(
        self, message: str | None = None, *, retry_after: int = 60, field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        # Seconds until the limit lets the caller in again.
        self.retry_after = max(1, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "This conflicts with the current state."


class VendorStaffOnly(PermissionDenied):
    code = "vendor_staff_only"
    default_message = "Only the vendor's staff can do this."


# The HTTP failures that happen before or around a route's own logic (rendered as JSON under
# /api/ by entitle.core.api_errors).


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    default_message = "The request is not valid."


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = "Log in or send a valid API token."


class RequestInvalid(DomainError):
    """A request whose fields do not match the schema (the field errors go with it)."""

    status = 422
    code = "invalid_request"
    default_message = "The request is not valid."


class MethodNotAllowed(DomainError):
    status = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed here."


class RequestTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    default_message = "Send the body as JSON, with Content-Type: application/json."


class InvalidJson(DomainError):
    status = 422
    code = "invalid_json"
    default_message = "The body is not valid JSON."


class ServerError(DomainError):
    status = 500
    code = "server_error"
    default_message = "Something went wrong on our side. Please try again later."
