"""Counters per day kept in the shared cache, for the hot path: `bump` adds to a counter in
the process's memory and sends what it gathered to the cache at most every few seconds (one
pipelined round trip), so counting costs the request nothing; Home reads the last weeks back
in one go. A process that stops loses at most its last few seconds of counts."""

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import date

from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

from entitle.core import clock

logger = logging.getLogger(__name__)

# Long enough for the dashboards' 30 days, short enough that old counters clean themselves.
KEEP_SECONDS = 40 * 24 * 3600
FLUSH_SECONDS = 5.0

_lock = threading.Lock()
_pending: Counter[str] = Counter()
_flushed_at = time.monotonic()


def _key(name: str, day: date) -> str:
    return f"count:{name}:{day.isoformat()}"


def bump(name: str, *, on: date | None = None) -> None:
    """Add one to the counter `name` of today (or `on`)."""
    global _flushed_at
    key = _key(name, on or clock.today())
    with _lock:
        _pending[key] += 1
        due = time.monotonic() - _flushed_at >= FLUSH_SECONDS
        if due:
            _flushed_at = time.monotonic()
    if due:
        flush()


def flush() -> None:
    """Send the counts gathered so far to the cache."""
    with _lock:
        gathered = dict(_pending)
        _pending.clear()
    if not gathered:
        return
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        pipe = get_redis_connection("default").pipeline(transaction=False)
        for key, amount in gathered.items():
            redis_key = cache.make_and_validate_key(key)
            pipe.incrby(redis_key, amount)
            pipe.expire(redis_key, KEEP_SECONDS, nx=True)
        pipe.execute()
        return
    for key, amount in gathered.items():
        if not cache.add(key, amount, timeout=KEEP_SECONDS):
            try:
                cache.incr(key, amount)
            except ValueError:
                # Expired between add() and incr(): start again.
                cache.set(key, amount, timeout=KEEP_SECONDS)


def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the cache may be gone by now: the counts are only lost
        logger.warning("counts not sent to the cache at exit", exc_info=True)


atexit.register(_flush_at_exit)


def daily(name: str, *, days: list[date]) -> dict[date, int]:
    """The counter `name` on each of `days` (0 where nothing was counted)."""
    flush()
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # INCRBY stores plain integers: read them back as such.
        keys = [cache.make_and_validate_key(_key(name, day)) for day in days]
        values = get_redis_connection("default").mget(keys)
        return {day: int(value or 0) for day, value in zip(days, values, strict=True)}
    found = cache.get_many([_key(name, day) for day in days])
    return {day: int(found.get(_key(name, day), 0)) for day in days}
