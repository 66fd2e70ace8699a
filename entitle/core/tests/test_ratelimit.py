import pytest
from django.core.cache import caches

from entitle.core import ratelimit
from entitle.core.errors import RateLimited

BACKENDS = {
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "rl_test"},
    "redis": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/9",
    },
}


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_the_limit_holds_on_every_cache_backend(db, settings, backend):
    settings.CACHES = {"default": BACKENDS[backend]}
    if backend == "database":
        from django.core.management import call_command

        call_command("createcachetable", verbosity=0)
    caches["default"].clear()
    for _ in range(3):
        ratelimit.hit("k", limit=3, window_seconds=60)
    with pytest.raises(RateLimited):
        ratelimit.hit("k", limit=3, window_seconds=60)
    ratelimit.hit("other", limit=3, window_seconds=60)
    # Failure limits: check without counting, count only failures.
    ratelimit.check("failures", limit=2, window_seconds=60)
    assert ratelimit.count("failures", window_seconds=60) == 1
    assert ratelimit.count("failures", window_seconds=60) == 2
    with pytest.raises(RateLimited) as limited:
        ratelimit.check("failures", limit=2, window_seconds=60)
    assert 1 <= limited.value.retry_after <= 60
    caches["default"].clear()


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_several_limits_in_one_count(db, settings, backend):
    settings.CACHES = {"default": BACKENDS[backend]}
    if backend == "database":
        from django.core.management import call_command

        call_command("createcachetable", verbosity=0)
    caches["default"].clear()
    for n in range(2):
        ratelimit.hit_all({"key:a": 2, f"address:{n}": 5}, window_seconds=60)
    with pytest.raises(RateLimited):  # the key's limit, whatever the address
        ratelimit.hit_all({"key:a": 2, "address:9": 5}, window_seconds=60)
    for n in range(2):
        ratelimit.hit_all({f"key:{n}": 2, "address:x": 2}, window_seconds=60)
    with pytest.raises(RateLimited):  # the address's limit, whatever the key
        ratelimit.hit_all({"key:new": 2, "address:x": 2}, window_seconds=60)
    if backend == "redis":
        from django_redis import get_redis_connection

        client = get_redis_connection("default")
        [key] = client.keys("*address:x*")
        assert 0 < client.ttl(key) <= 61
    caches["default"].clear()


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_count_overlapping_a_block_is_judged_when_the_block_is_left(db, settings, backend):
    """hit_all_during: the block runs, then the verdict; a block that fails counts its attempt
    and leaves the cache's connections fit for the next count (no answer left unread)."""
    settings.CACHES = {"default": BACKENDS[backend]}
    if backend == "database":
        from django.core.management import call_command

        call_command("createcachetable", verbosity=0)
    caches["default"].clear()
    ran = []
    with ratelimit.hit_all_during({"key:a": 1}, window_seconds=60):
        ran.append(1)
    with pytest.raises(RateLimited), ratelimit.hit_all_during({"key:a": 1}, window_seconds=60):
        ran.append(2)
    assert ran == [1, 2]
    for _ in range(3):
        with (
            pytest.raises(ZeroDivisionError),
            ratelimit.hit_all_during({"key:b": 10}, window_seconds=60),
        ):
            1 / 0  # noqa: B018
    assert ratelimit.count("key:b", window_seconds=60) == 4
    assert ratelimit.count("other", window_seconds=60) == 1
    caches["default"].clear()


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_check_overlapping_a_block_is_judged_when_the_block_is_left(db, settings, backend):
    """check_during: what `check` says, after the block; a block that fails leaves the
    cache's connections fit for the next command."""
    settings.CACHES = {"default": BACKENDS[backend]}
    if backend == "database":
        from django.core.management import call_command

        call_command("createcachetable", verbosity=0)
    caches["default"].clear()
    ran = []
    with ratelimit.check_during("failures", limit=2, window_seconds=60):
        ran.append(1)
    ratelimit.count("failures", window_seconds=60)
    with ratelimit.check_during("failures", limit=2, window_seconds=60):
        ran.append(2)
    ratelimit.count("failures", window_seconds=60)
    with (
        pytest.raises(RateLimited) as limited,
        ratelimit.check_during("failures", limit=2, window_seconds=60),
    ):
        ran.append(3)
    assert ran == [1, 2, 3]
    assert 1 <= limited.value.retry_after <= 60
    with pytest.raises(ZeroDivisionError), ratelimit.check_during("x", limit=1, window_seconds=60):
        1 / 0  # noqa: B018
    assert ratelimit.count("failures", window_seconds=60) == 3
    caches["default"].clear()
