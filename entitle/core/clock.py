"""Today's date, cheaply: `timezone.localdate()` converts the time to the time zone on every
call, which the product validation path — thousands of requests a second — would do several
times a request. The date is kept until the next midnight, checked against `time.time()` (which
time-machine moves in tests, so a test that travels sees the new day at once)."""

import time
from datetime import date, datetime, timedelta, tzinfo

from django.utils import timezone

# (zone, from, until, day): `day` is today in `zone` while from <= time.time() < until.
_span: tuple[tzinfo | None, float, float, date] = (None, 0.0, 0.0, date.min)


def today() -> date:
    """`timezone.localdate()` in the default time zone (Entitle activates no other)."""
    global _span
    zone = timezone.get_default_timezone()
    cached_zone, start, end, day = _span
    now = time.time()
    if cached_zone is zone and start <= now < end:
        return day
    day = datetime.fromtimestamp(now, zone).date()
    midnight = datetime.combine(day, datetime.min.time(), zone)
    # One tuple, replaced whole: a thread reads either the old span or the new one.
    _span = (zone, midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), day)
    return day
