"""Fixed-window rate limits kept in Django's cache, so that every app server shares them."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

from entitle.core.errors import RateLimited

_redis_clients: dict[int, object] = {}


def _redis_client(cache: RedisCache, key: str):
    # Django builds a new client object (not a connection) on every call, which costs more than
    # the round trip on a hot path; the client is thread-safe, so keep one per server.
    index = cache._cache._get_connection_pool_index(write=True)
    client = _redis_clients.get(index)
    if client is None:
        client = _redis_clients[index] = cache._cache.get_client(key, write=True)
    return client


def _count(cache_key: str, timeout: int) -> int:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # One round trip: INCR creates the counter at 1; EXPIRE NX sets its lifetime once.
        key = cache.make_and_validate_key(cache_key)
        pipe = _redis_client(cache, key).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, timeout, nx=True)
        return int(pipe.execute()[0])
    # Any other backend: add() is atomic, so only the first caller in a window creates it.
    if cache.add(cache_key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:
        # The counter expired between add() and incr(): this is a fresh window.
        cache.set(cache_key, 1, timeout=timeout)
        return 1


def hit(key: str, *, limit: int, window_seconds: int, message: str | None = None) -> None:
    """Count one attempt under `key`; raise RateLimited once `limit` is passed in the window."""
    window = int(timezone.now().timestamp()) // window_seconds
    if _count(f"ratelimit:{key}:{window}", window_seconds + 1) > limit:
        raise RateLimited(message)
