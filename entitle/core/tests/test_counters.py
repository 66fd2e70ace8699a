"""Counters per day: counted in memory, sent to the cache every few seconds, read back per day."""

import time
from datetime import date

import pytest
from django.core.cache import caches
from django.core.management import call_command

from entitle.core import counters

BACKENDS = {
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ct_test"},
    "redis": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/8"},
}
MONDAY, TUESDAY, WEDNESDAY = date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 3)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_counts_gather_in_memory_then_add_up_in_the_cache(db, settings, monkeypatch, backend):
    settings.CACHES = {"default": BACKENDS[backend]}
    if backend == "database":
        call_command("createcachetable", verbosity=0)
    cache = caches["default"]
    cache.clear()
    monkeypatch.setattr(counters, "_flushed_at", time.monotonic())
    for _ in range(3):
        counters.bump("test", on=MONDAY)
    counters.bump("test", on=TUESDAY)
    assert cache.get("count:test:2027-03-01") is None  # nothing sent yet: no round trip
    assert counters.daily("test", days=[MONDAY, TUESDAY, WEDNESDAY]) == {
        MONDAY: 3,
        TUESDAY: 1,
        WEDNESDAY: 0,
    }
    counters.bump("test", on=MONDAY)
    assert counters.daily("test", days=[MONDAY])[MONDAY] == 4  # added to, not replaced
    cache.clear()


def test_a_bump_after_the_interval_sends_everything(db, monkeypatch):
    monkeypatch.setattr(counters, "_flushed_at", time.monotonic() - counters.FLUSH_SECONDS)
    counters.bump("test", on=MONDAY)
    assert caches["default"].get("count:test:2027-03-01") == 1
