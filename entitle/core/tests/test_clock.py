"""clock.today() is timezone.localdate(), kept until midnight: it must turn with the day."""

from datetime import UTC, date, datetime

import time_machine
from django.test import override_settings
from django.utils import timezone

from entitle.core import clock


def test_today_turns_at_midnight_and_when_time_travels_back():
    with time_machine.travel(datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC), tick=False) as traveller:
        assert clock.today() == date(2026, 3, 1)
        traveller.shift(1)
        assert clock.today() == date(2026, 3, 2)
        traveller.move_to(datetime(2025, 12, 31, 12, tzinfo=UTC))
        assert clock.today() == date(2025, 12, 31)


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_today_is_the_local_date_of_the_default_time_zone():
    # 11:30 UTC is 00:30 the next day in Auckland (UTC+13 in summer).
    with time_machine.travel(datetime(2026, 1, 10, 11, 30, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 1, 11) == timezone.localdate()
    with time_machine.travel(datetime(2026, 1, 10, 10, 59, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 1, 10) == timezone.localdate()
