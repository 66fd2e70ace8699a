"""Links mailed to people: the portal's address, and signed tokens that carry what a link is
about (an invitation, a shared licence, a registration) so that nothing secret is stored and
an altered link is refused."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse


class BadLink(ValueError):
    """The token was altered, made for another purpose, or is too old."""


def portal_url(route: str, *args: Any) -> str:
    """The absolute address of a portal page, for mail."""
    return settings.PORTAL_URL + reverse(route, args=args)


def sign(value: Any, *, purpose: str) -> str:
    """`value` (anything JSON can hold) signed with the server's key for one `purpose`."""
    return signing.dumps(value, salt=f"entitle.{purpose}", compress=True)


def unsign(token: str, *, purpose: str, max_age: timedelta | None = None) -> Any:
    try:
        return signing.loads(token, salt=f"entitle.{purpose}", max_age=max_age)
    except signing.BadSignature as exc:
        raise BadLink(purpose) from exc
