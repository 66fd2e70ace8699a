"""The reminder schedule of DOMAIN.md, as pure functions of a product's policy and dates.

A product's steps are its `reminder_days` before the end date (180, 90, 60, 30 and 7 by
default), the day of expiry — which, for a product with grace, is when grace starts — and,
with grace, 7 days before grace ends.

On a day d, a licence's *current* step is the latest step that has come due: step i is
current from its due day until the next step's due day. The last step stays current for
CATCH_UP_DAYS. A sweep sends a licence's current step if it has not been sent for that end
date, so a sweep that did not run for a few days still sends what came due meanwhile (the
latest of it: a reminder that "90 days remain" is no use once 60 remain), and a licence
whose end is long past (e.g. the day this feature is first switched on) gets nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

EXPIRY = "expiry"
GRACE_ENDING = "grace-ending"
GRACE_ENDING_DAYS = 7
CATCH_UP_DAYS = 7


@dataclass(frozen=True)
class Step:
    key: str
    # Days before the end date the step is due; negative after it (grace).
    offset: int

    def due(self, end: date) -> date:
        return end - timedelta(days=self.offset)

    @property
    def label(self) -> str:
        if self.key == EXPIRY:
            return "on the day of expiry"
        if self.key == GRACE_ENDING:
            return f"{GRACE_ENDING_DAYS} days before the grace period ends"
        return f"{self.offset} days before the end date"


def steps(*, reminder_days: Iterable[int], grace_days: int) -> list[Step]:
    """The product's steps, earliest first."""
    days = sorted({d for d in reminder_days if d > 0}, reverse=True)
    result = [Step(f"days-{d}", d) for d in days]
    if 0 in reminder_days or grace_days > 0:
        result.append(Step(EXPIRY, 0))
    if grace_days > GRACE_ENDING_DAYS:
        result.append(Step(GRACE_ENDING, -(grace_days - GRACE_ENDING_DAYS)))
    return result


@dataclass(frozen=True)
class Window:
    """On the day it was made for: the step is current for licences whose end date lies in
    (after, up_to]."""

    step: Step
    after: date
    up_to: date


def windows(schedule: list[Step], on: date) -> list[Window]:
    """Disjoint end-date ranges, one per step: a licence ending in a step's range has that
    step as its current one on day `on`."""
    result = []
    for i, step in enumerate(schedule):
        later = schedule[i + 1].offset if i + 1 < len(schedule) else step.offset - CATCH_UP_DAYS
        result.append(Window(step, on + timedelta(days=later), on + timedelta(days=step.offset)))
    return result


def current_step(schedule: list[Step], *, end: date, on: date) -> Step | None:
    """The step a sweep on day `on` sends for a licence ending on `end` (if not yet sent)."""
    for window in windows(schedule, on):
        if window.after < end <= window.up_to:
            return window.step
    return None


def next_step(schedule: list[Step], *, end: date, on: date) -> Step | None:
    """The first step that comes due after day `on`."""
    return next((s for s in schedule if s.due(end) > on), None)
