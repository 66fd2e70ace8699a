"""Limits on failed sign-ins (DOMAIN.md "Sign-in and abuse"), for every way in.

Only failures count, and they count per (account, client) and per client: a guesser is slowed
and then blocked where it guesses from, while the account's owner signs in from anywhere else
as usual, and signing in successfully never uses anything up. The portal's log-in, the back
office's log-in (both through `EmailBackend`) and API tokens (`TokenAuth`) share these limits.

A client is the address the request comes from (REMOTE_ADDR: put the server behind a proxy
that sets it, such as granian behind a load balancer with the client's address forwarded).
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest

from entitle.core import ratelimit
from entitle.core.errors import RateLimited

WINDOW_SECONDS = 15 * 60
MESSAGE = "Too many failed attempts to sign in from here. Please wait a few minutes and try again."


class SignInLimited(RateLimited):
    code = "sign_in_limited"
    default_message = MESSAGE


def client_of(request: HttpRequest | None) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _keys(client: str, account: str | None) -> list[tuple[str, int]]:
    limits = settings.ENTITLE
    keys = [(f"signin:client:{client[:64]}", limits["LOGIN_FAILURES_PER_CLIENT"])]
    if account is not None:
        # Hashed: a cache key of bounded length and alphabet, whatever was typed.
        pair = hashlib.sha256(f"{account}\n{client}".encode()).hexdigest()
        keys.append((f"signin:pair:{pair}", limits["LOGIN_FAILURES_PER_ACCOUNT"]))
    return keys


def check(*, client: str, account: str | None = None) -> None:
    """Raise SignInLimited if this client, or this account from this client, failed too often."""
    for key, limit in _keys(client, account):
        try:
            ratelimit.check(key, limit=limit, window_seconds=WINDOW_SECONDS)
        except RateLimited as error:
            raise SignInLimited(retry_after=error.retry_after) from error


@contextmanager
def checked_during(*, client: str) -> Iterator[None]:
    """`check` of a client (no account), its round trip overlapping the block: SignInLimited
    is raised when the block is left, so the block must only read."""
    ((key, limit),) = _keys(client, None)
    with ratelimit.check_during(
        key, limit=limit, window_seconds=WINDOW_SECONDS, refusal=SignInLimited
    ):
        yield


def failed(*, client: str, account: str | None = None) -> None:
    """Count a failed sign-in of `account` (None: unknown, e.g. a wrong API token)."""
    for key, _ in _keys(client, account):
        ratelimit.count(key, window_seconds=WINDOW_SECONDS)
