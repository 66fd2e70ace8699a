"""Fixed-window rate limits kept in Django's cache, so that every app server shares them."""

from django.core.cache import caches
from django.utils import timezone
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

from entitle.core.errors import RateLimited


def _count(cache_key: str, timeout: int) -> int:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # One round trip: INCR creates the counter at 1; EXPIRE NX sets its lifetime once.
        # django-redis hands out its pooled, thread-safe client (one per server process).
        key = cache.make_and_validate_key(cache_key)
        pipe = get_redis_connection("default").pipeline(transaction=False)
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
