"""Fixed-window rate limits kept in Django's cache, so that every app server shares them."""

from django.core.cache import caches
from django.utils import timezone
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

from entitle.core.errors import RateLimited

# INCR creates each counter at 1; the first count sets its lifetime. One command for all keys.
_COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return counts
"""
_scripts: dict[int, object] = {}


def _counts(cache_keys: list[str], timeout: int) -> list[int]:
    """Count one attempt under each key; the counts. With Redis, one round trip for all."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # django-redis hands out its pooled, thread-safe client (one per server process); the
        # script is sent by its digest (EVALSHA), and loaded again if the server forgot it.
        client = get_redis_connection("default")
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(_COUNT_SCRIPT)
        keys = [cache.make_and_validate_key(cache_key) for cache_key in cache_keys]
        return [int(count) for count in script(keys=keys, args=[timeout])]
    return [_count_elsewhere(cache, cache_key, timeout) for cache_key in cache_keys]


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
    window, left = _window(window_seconds)
    counts = _counts([f"ratelimit:{key}:{window}" for key in limits], window_seconds + 1)
    if any(count > limit for count, limit in zip(counts, limits.values(), strict=True)):
        raise RateLimited(message, retry_after=left)


def check(key: str, *, limit: int, window_seconds: int, message: str | None = None) -> None:
    """Raise RateLimited if `limit` attempts were already counted under `key` in this window,
    without counting this one (for limits on failures: `check` first, `count` on failure)."""
    window, left = _window(window_seconds)
    if (caches["default"].get(f"ratelimit:{key}:{window}") or 0) >= limit:
        raise RateLimited(message, retry_after=left)


def count(key: str, *, window_seconds: int) -> int:
    """Count one attempt under `key` in this window, and return how many there were."""
    window, _ = _window(window_seconds)
    return _counts([f"ratelimit:{key}:{window}"], window_seconds + 1)[0]
