"""Fixed-window rate limits kept in Django's cache, so that every app server shares them."""

from django.core.cache import cache
from django.utils import timezone

from entitle.core.errors import RateLimited


def hit(key: str, *, limit: int, window_seconds: int, message: str | None = None) -> None:
    """Count one attempt under `key`; raise RateLimited once `limit` is passed in the window."""
    window = int(timezone.now().timestamp()) // window_seconds
    cache_key = f"ratelimit:{key}:{window}"
    # add() is atomic: only the first caller in a window creates the counter.
    if cache.add(cache_key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:
            # The counter expired between add() and incr(): this is a fresh window.
            cache.set(cache_key, 1, timeout=window_seconds + 1)
            count = 1
    if count > limit:
        raise RateLimited(message)
