from datetime import date, timedelta

import pytest

from entitle.catalog.models import default_reminder_days
from entitle.renewals import schedule

END = date(2027, 3, 1)


def keys(steps):
    return [s.key for s in steps]


def test_the_default_schedule_from_six_months_out():
    steps = schedule.steps(reminder_days=default_reminder_days(), grace_days=0)
    assert keys(steps) == ["days-180", "days-90", "days-60", "days-30", "days-7", "expiry"]
    assert steps[0].due(END) == END - timedelta(days=180)
    assert steps[-1].due(END) == END


def test_with_grace_the_expiry_is_when_grace_starts_and_a_step_comes_7_days_before_it_ends():
    steps = schedule.steps(reminder_days=default_reminder_days(), grace_days=60)
    assert keys(steps)[-2:] == ["expiry", "grace-ending"]
    assert steps[-1].due(END) == END + timedelta(days=53)
    assert steps[-1].label == "7 days before the grace period ends"
    # Without 0 among the reminder days, grace still starts with a reminder.
    assert keys(schedule.steps(reminder_days=[30], grace_days=60)) == [
        "days-30",
        "expiry",
        "grace-ending",
    ]
    assert keys(schedule.steps(reminder_days=[30], grace_days=0)) == ["days-30"]


def every_day(start: date, stop: date):
    day = start
    while day <= stop:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("grace", [0, 5, 60])
def test_each_step_is_current_from_its_due_day_and_the_windows_never_overlap(grace):
    steps = schedule.steps(reminder_days=[180, 90, 60, 30, 7, 0], grace_days=grace)
    seen: dict[str, list[date]] = {}
    for day in every_day(END - timedelta(days=400), END + timedelta(days=200)):
        current = schedule.current_step(steps, end=END, on=day)
        if current:
            seen.setdefault(current.key, []).append(day)
        windows = schedule.windows(steps, day)
        # Each end date falls in at most one window on any day.
        assert sum(w.after < END <= w.up_to for w in windows) == (1 if current else 0)
    for step in steps:
        assert seen[step.key][0] == step.due(END), step
    # The last step is current for the catch-up days only: a long-expired licence gets nothing.
    assert seen[steps[-1].key][-1] == steps[-1].due(END) + timedelta(
        days=schedule.CATCH_UP_DAYS - 1
    )


def test_a_missed_day_still_sends_the_latest_step_not_a_stale_one():
    steps = schedule.steps(reminder_days=default_reminder_days(), grace_days=0)
    # The sweep did not run from 33 to 25 days before the end: the 30-day step is current.
    assert schedule.current_step(steps, end=END, on=END - timedelta(days=25)).key == "days-30"
    # A licence ending in 50 days, first seen now: the 60-day step, not the 180-day one.
    assert schedule.current_step(steps, end=END, on=END - timedelta(days=50)).key == "days-60"
    assert schedule.current_step(steps, end=END, on=END - timedelta(days=181)) is None


def test_next_step():
    steps = schedule.steps(reminder_days=default_reminder_days(), grace_days=0)
    coming = schedule.next_step(steps, end=END, on=END - timedelta(days=45))
    assert coming.key == "days-30"
    assert schedule.next_step(steps, end=END, on=END) is None
