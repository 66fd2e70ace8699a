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


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "This conflicts with the current state."


class VendorStaffOnly(PermissionDenied):
    code = "vendor_staff_only"
    default_message = "Only the vendor's staff can do this."
