"""The licence arithmetic of DOMAIN.md, as pure functions: statuses, proration, renewal dates.

Dates are whole days. A licence covers every day before `end`; days left on day d is end − d.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from entitle.core.units import cents


class LicenceStatus(StrEnum):
    NOT_YET_VALID = "not yet valid"
    ACTIVE = "active"
    EXPIRING = "expiring"
    GRACE = "grace"
    EXPIRED = "expired"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class StatusAt:
    status: LicenceStatus
    # Days of cover left (active, expiring), of grace left (grace), or 0 (expired).
    days_left: int
    # The colour a person sees: amber while expiring or in grace, red once expired.
    colour: str

    @property
    def may_run(self) -> bool:
        return self.status in (LicenceStatus.ACTIVE, LicenceStatus.EXPIRING, LicenceStatus.GRACE)


def status_at(
    *,
    start: date,
    end: date,
    on: date,
    warn_days: int,
    grace_days: int,
    suspended: bool = False,
) -> StatusAt:
    """The status on day `on`; the client (`entitle_client.licence`) applies the same days."""
    days_left = (end - on).days
    if suspended:
        return StatusAt(LicenceStatus.SUSPENDED, max(days_left, 0), "red")
    if on < start:
        # The product must not run yet; the days are those until the start.
        return StatusAt(LicenceStatus.NOT_YET_VALID, (start - on).days, "grey")
    if days_left > warn_days:
        return StatusAt(LicenceStatus.ACTIVE, days_left, "green")
    if days_left > 0:
        return StatusAt(LicenceStatus.EXPIRING, days_left, "amber")
    grace_left = days_left + grace_days
    if grace_left > 0:
        return StatusAt(LicenceStatus.GRACE, grace_left, "amber")
    return StatusAt(LicenceStatus.EXPIRED, 0, "red")


def increase_cost(
    *, old_quantity: int, new_quantity: int, end: date, on: date, term_days: int
) -> Decimal:
    """(q₁ − q₀) × (end − d) / term days credits, rounded up to 0.01."""
    exact = Decimal(new_quantity - old_quantity) * Decimal((end - on).days) / Decimal(term_days)
    return cents(exact, rounding=ROUND_CEILING)


def renewal_cost(*, quantity: int, terms: int) -> Decimal:
    return cents(quantity * terms)


def renewal_dates(
    *, start: date, end: date, on: date, terms: int, term_days: int, grace_days: int
) -> tuple[date, date]:
    """The start and end after renewing by `terms` on day `on`.

    Early, or within grace: the new term follows the old end, losing no day and leaving no gap.
    After grace has run out: the new term starts on the renewal day."""
    extension = timedelta(days=terms * term_days)
    if on < end + timedelta(days=grace_days):
        return start, end + extension
    return on, on + extension


def creation_dates(*, start: date, terms: int, term_days: int) -> tuple[date, date]:
    return start, start + timedelta(days=terms * term_days)
