"""Fixed-window rate limits kept in Django's cache, so that every app server shares them.

With Redis, counting one attempt under several keys is one round trip (a Lua script), and
`hit_all_during` lets that round trip overlap the caller's own work: the command is sent on
entry and its answer read on exit, so a request that also queries the database waits once,
not twice (product validation, the hottest path, saves a tenth of its CPU and latency).
"""

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import caches
from django.utils import timezone
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from redis import Redis

from entitle.core.errors import RateLimited

# INCR creates each counter at 1; the first count sets its lifetime. One command for all keys.
# Sent with EVAL: Redis keeps the compiled script, and a restarted Redis needs no reloading.
_COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return counts
"""
# django-redis's pooled, thread-safe client of each cache object (asking django-redis costs a
# few look-ups, on every request of the validation path).
_clients: weakref.WeakKeyDictionary[RedisCache, Redis] = weakref.WeakKeyDictionary()


def _client(cache: RedisCache) -> Redis:
    client = _clients.get(cache)
    if client is None:
        client = _clients[cache] = get_redis_connection("default")
    return client


@contextmanager
def _during(cache: RedisCache, command: tuple) -> Iterator[list]:
    """Send `command` on entry; its answer is in the list once the block is left."""
    answer: list = []
    pool = _client(cache).connection_pool
    connection = pool.get_connection()
    try:
        # Sent as the client sends commands: a connection Redis dropped is made again.
        connection.retry.call_with_retry(
            lambda: connection.send_command(*command), lambda _error: connection.disconnect()
        )
        yield answer
        answer.append(connection.read_response())
    except BaseException:
        # The block failed, or the answer did: an answer left unread would be taken for the
        # next command's.
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


@contextmanager
def _counted(cache_keys: list[str], timeout: int) -> Iterator[list[int]]:
    """Count one attempt under each key; the counts are in the list once the block is left."""
    counts: list[int] = []
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        counts.extend(_count_elsewhere(cache, cache_key, timeout) for cache_key in cache_keys)
        yield counts
        return
    # make_key, not make_and_validate_key: the validation warns about keys memcached would
    # refuse, a question Redis never asks, and it walks every character.
    command = ("EVAL", _COUNT_SCRIPT, len(cache_keys), *map(cache.make_key, cache_keys), timeout)
    with _during(cache, command) as answer:
        yield counts
    counts.extend(int(count) for count in answer[0])


def _count_elsewhere(cache, cache_key: str, timeout: int) -> int:
    # Any other backend: add() is atomic, so only the first caller in a window creates it.
    if cache.add(cache_key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:
        # The counter expired between add() and incr(): this is a fresh window.
        cache.set(cache_key, 1, timeout=timeout)
        return 1


def _window(window_seconds: int) -> tuple[int, int]:
    """The current window's number, and the seconds left until the next one starts."""
    now = int(timezone.now().timestamp())
    return now // window_seconds, window_seconds - now % window_seconds


def hit(key: str, *, limit: int, window_seconds: int, message: str | None = None) -> None:
    """Count one attempt under `key`; raise RateLimited once `limit` is passed in the window."""
    hit_all({key: limit}, window_seconds=window_seconds, message=message)


def hit_all(limits: dict[str, int], *, window_seconds: int, message: str | None = None) -> None:
    """Count one attempt under each key (one round trip with Redis); raise RateLimited once any
    key has passed its limit in the window."""
    with hit_all_during(limits, window_seconds=window_seconds, message=message):
        pass


@contextmanager
def hit_all_during(
    limits: dict[str, int], *, window_seconds: int, message: str | None = None
) -> Iterator[None]:
    """`hit_all`, its round trip overlapping the block: RateLimited is raised when the block
    is left. So the block runs whatever the verdict: only reads belong in it, never a write."""
    window, left = _window(window_seconds)
    with _counted([f"ratelimit:{key}:{window}" for key in limits], window_seconds + 1) as counts:
        yield
    if any(count > limit for count, limit in zip(counts, limits.values(), strict=True)):
        raise RateLimited(message, retry_after=left)


def check(key: str, *, limit: int, window_seconds: int, message: str | None = None) -> None:
    """Raise RateLimited if `limit` attempts were already counted under `key` in this window,
    without counting this one (for limits on failures: `check` first, `count` on failure)."""
    window, left = _window(window_seconds)
    if (caches["default"].get(f"ratelimit:{key}:{window}") or 0) >= limit:
        raise RateLimited(message, retry_after=left)


@contextmanager
def check_during(
    key: str,
    *,
    limit: int,
    window_seconds: int,
    refusal: type[RateLimited] = RateLimited,
) -> Iterator[None]:
    """`check`, its round trip overlapping the block: `refusal` is raised when the block is
    left. So the block runs whatever the verdict: only reads belong in it, never a write."""
    window, left = _window(window_seconds)
    cache = caches["default"]
    cache_key = f"ratelimit:{key}:{window}"
    if isinstance(cache, RedisCache):
        with _during(cache, ("GET", cache.make_key(cache_key))) as answer:
            yield
        seen = int(answer[0] or 0)
    else:
        yield
        seen = cache.get(cache_key) or 0
    if seen >= limit:
        raise refusal(retry_after=left)


def count(key: str, *, window_seconds: int) -> int:
    """Count one attempt under `key` in this window, and return how many there were."""
    window, _ = _window(window_seconds)
    with _counted([f"ratelimit:{key}:{window}"], window_seconds + 1) as counts:
        pass
    return counts[0]
