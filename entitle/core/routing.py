"""Read replicas: which database each query goes to.

Without `DATABASE_REPLICA_URL` there is one database and nothing here changes anything. With
it, the reads of the views marked `@reads_from_replica` — the portal's and the API's lists and
dashboards — and of product validation (`replica_reads()`) go to the streaming replica, unless
the reader must see its own writes; then they go to the primary, like every other query:

- every write goes to the primary, and so does every read after a write in the same request;
- a client (a session, or an API token) that wrote — a POST, PUT, PATCH or DELETE, or any
  request the router saw write — is pinned to the primary for
  `ENTITLE_REPLICA_PIN_SECONDS`: the pages it loads next show what it just did, whatever the
  replica's lag (the pin is kept in the cache, so every app server honours it);
- a read inside a transaction goes to the primary: a service reads what it is about to change;
- while the replica lags by more than that window, or cannot be reached, reads go to the
  primary (each process measures the lag at most once a second).

`ReadYourWritesMiddleware` opens a request's scope and records its pin; `ReplicaRouter` is the
Django database router that applies the rules.
"""

import functools
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

# How far the replica is behind, in seconds: 0 when it has replayed everything it received.
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() "
    "OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)
LAG_CHECK_SECONDS = 1.0
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


@dataclass
class _Scope:
    client: str = ""  # the credential that identifies the caller across requests
    replica: bool = False  # in replica_reads(), or a view marked reads_from_replica
    wrote: bool = False
    pinned: bool | None = None  # the client wrote a moment ago (looked up once, when needed)


_scope: ContextVar[_Scope | None] = ContextVar("entitle_db_scope", default=None)


@dataclass
class _Freshness:
    checked_at: float = float("-inf")
    fresh: bool = False


_freshness = _Freshness()


def replica_alias() -> str:
    """The replica's database alias, or "" when there is none."""
    return settings.ENTITLE["READ_REPLICA"]


def pin_seconds() -> int:
    return settings.ENTITLE["REPLICA_PIN_SECONDS"]


def _pin_key(client: str) -> str:
    return "entitle:primary-pin:" + hashlib.sha256(client.encode()).hexdigest()[:32]


def replica_lag(alias: str | None = None) -> float | None:
    """The replica's lag in seconds, or None if it cannot be reached."""
    alias = alias or replica_alias()
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return 0.0
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            return float(cursor.fetchone()[0] or 0)
    except DatabaseError:
        # Drop the broken connection: the next query opens a new one.
        connection.close()
        return None


def _replica_fresh(alias: str) -> bool:
    now = time.monotonic()
    if now - _freshness.checked_at >= LAG_CHECK_SECONDS:
        _freshness.checked_at = now
        lag = replica_lag(alias)
        _freshness.fresh = lag is not None and lag < pin_seconds()
    return _freshness.fresh


def read_alias() -> str:
    """The database the next read goes to, by the rules above."""
    alias = replica_alias()
    scope = _scope.get()
    if (
        not alias
        or scope is None
        or not scope.replica
        or scope.wrote
        or connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return DEFAULT_DB_ALIAS
    if scope.pinned is None:
        scope.pinned = True  # the look-up itself reads the primary, whatever the cache is
        scope.pinned = bool(scope.client) and cache.get(_pin_key(scope.client)) is not None
    if scope.pinned or not _replica_fresh(alias):
        return DEFAULT_DB_ALIAS
    return alias


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside may be served by the replica (for code outside a view: the fast path)."""
    scope = _scope.get()
    token = None
    if scope is None:  # outside a request (the validation fast path, a command)
        scope = _Scope()
        token = _scope.set(scope)
    previous, scope.replica = scope.replica, True
    try:
        yield
    finally:
        scope.replica = previous
        if token is not None:
            _scope.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    """A view decorator: from the view on, a GET's reads — the page or the API answer being
    built, to the end of the request — may be served by the replica. Put it below the
    decorators (and under ninja's route) that check who is calling: they read the primary."""

    @functools.wraps(view)
    def view_reading_replica(request: HttpRequest, *args: object, **kwargs: object):
        scope = _scope.get()
        if scope is not None and request.method in ("GET", "HEAD"):
            scope.replica = True  # until ReadYourWritesMiddleware closes the request's scope
        return view(request, *args, **kwargs)

    return view_reading_replica


class ReplicaRouter:
    """Django's database router: reads by `read_alias()`, every write to the primary."""

    def db_for_read(self, model: type, **hints: object) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: object) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True  # the replica is a copy of the primary: the same objects

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> None:
        return None


def _client_of(request: HttpRequest, response: HttpResponse | None = None) -> str:
    """Who is calling, across requests: the API token, or the session ("" if neither)."""
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return authorization
    # After a log-in the session has a new key: the pin follows the cookie the client now has.
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME) if response else None
    session = (
        cookie.value
        if cookie is not None
        else request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    )
    return f"session:{session}" if session else ""


class ReadYourWritesMiddleware:
    """Opens each request's scope; a request that wrote, or may have (POST, PUT, PATCH,
    DELETE), pins its client to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_alias():
            return self.get_response(request)
        scope = _Scope(client=_client_of(request))
        token = _scope.set(scope)
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        # Writes the router does not see (hand-compiled statements) come in unsafe methods.
        if scope.wrote or request.method not in SAFE_METHODS:
            pin_after_write(request, response)
        return response


def pin_after_write(request: HttpRequest, response: HttpResponse | None = None) -> None:
    """Send the client's next reads to the primary for a while: it has just written."""
    if not replica_alias():
        return
    client = _client_of(request, response)
    if client:
        cache.set(_pin_key(client), 1, timeout=pin_seconds())
