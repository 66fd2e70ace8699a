"""Golden tables for the licence arithmetic of DOMAIN.md."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entitle.licensing.arithmetic import (
    LicenceStatus,
    creation_dates,
    increase_cost,
    renewal_cost,
    renewal_dates,
    status_at,
)

D = date.fromisoformat

# old q, new q, end, day of increase, term days → credits
PRORATION = [
    (10, 15, "2027-01-01", "2026-01-01", 365, "5.00"),  # a whole term left
    (10, 15, "2027-01-01", "2026-07-02", 365, "2.51"),  # 183 days: 5 × 183/365 = 2.5068… ↑
    (10, 11, "2027-01-01", "2026-12-31", 365, "0.01"),  # the last day: 1/365 = 0.0027… ↑
    (10, 20, "2027-01-01", "2026-12-31", 365, "0.03"),  # 10/365 = 0.0273… ↑
    (1, 2, "2028-03-01", "2028-02-28", 365, "0.01"),  # across 29 Feb 2028: 2 days
    (1, 366, "2028-03-01", "2027-03-01", 366, "365.00"),  # a leap year's 366 days, whole
    (25, 40, "2029-11-22", "2026-11-23", 1095, "15.00"),  # three-year term, whole
    (25, 40, "2029-11-22", "2027-11-23", 1095, "10.00"),  # 730 of 1095 days: exactly ⅔
    (25, 40, "2029-11-22", "2027-11-24", 1095, "9.99"),  # 729/1095 × 15 = 9.986… ↑
    (3, 4, "2031-06-15", "2026-06-16", 1825, "1.00"),  # 1825 of 1825 days
    (3, 4, "2031-06-15", "2031-06-14", 1825, "0.01"),
    (100, 101, "2027-01-01", "2026-01-02", 365, "1.00"),  # 364/365 = 0.99726… ↑
]


@pytest.mark.parametrize(("q0", "q1", "end", "on", "term", "credits"), PRORATION)
def test_increase_is_prorated_and_rounded_up_to_a_cent(q0, q1, end, on, term, credits):
    assert increase_cost(
        old_quantity=q0, new_quantity=q1, end=D(end), on=D(on), term_days=term
    ) == Decimal(credits)


# start, end, renewal day, terms, term days, grace → new start, new end
RENEWALS = [
    ("2026-01-01", "2027-01-01", "2026-06-01", 1, 365, 0, "2026-01-01", "2028-01-01"),  # early
    ("2026-01-01", "2027-01-01", "2026-12-31", 1, 365, 0, "2026-01-01", "2028-01-01"),  # last day
    ("2026-01-01", "2027-01-01", "2027-01-01", 1, 365, 0, "2027-01-01", "2028-01-01"),  # expired
    ("2026-01-01", "2027-01-01", "2027-01-01", 1, 365, 60, "2026-01-01", "2028-01-01"),  # grace 1
    ("2026-01-01", "2027-01-01", "2027-03-01", 1, 365, 60, "2026-01-01", "2028-01-01"),  # grace 59
    ("2026-01-01", "2027-01-01", "2027-03-02", 1, 365, 60, "2027-03-02", "2028-03-01"),  # past
    ("2027-03-01", "2028-02-29", "2028-01-01", 1, 365, 0, "2027-03-01", "2029-02-28"),  # leap
    ("2026-01-01", "2027-01-01", "2026-10-10", 3, 365, 60, "2026-01-01", "2029-12-31"),  # 3 terms
    ("2026-01-01", "2029-01-01", "2028-12-01", 1, 1095, 0, "2026-01-01", "2032-01-01"),
    ("2026-01-01", "2027-01-01", "2030-05-05", 1, 1825, 60, "2030-05-05", "2035-05-04"),
]


@pytest.mark.parametrize(
    ("start", "end", "on", "terms", "term", "grace", "new_start", "new_end"), RENEWALS
)
def test_renewal_dates(start, end, on, terms, term, grace, new_start, new_end):
    assert renewal_dates(
        start=D(start), end=D(end), on=D(on), terms=terms, term_days=term, grace_days=grace
    ) == (D(new_start), D(new_end))


def test_renewal_and_creation_costs():
    assert renewal_cost(quantity=25, terms=3) == Decimal("75.00")
    assert creation_dates(start=D("2028-02-29"), terms=1, term_days=365) == (
        D("2028-02-29"),
        D("2029-02-28"),
    )


# end 2027-01-01, warn 30, grace 60: the status on each day around every boundary.
STATUSES = [
    ("2026-12-01", "active", 31, "green"),  # warn_days + 1 left
    ("2026-12-02", "expiring", 30, "amber"),  # warn_days left
    ("2026-12-31", "expiring", 1, "amber"),  # the last covered day
    ("2027-01-01", "grace", 60, "amber"),  # the end date: grace starts
    ("2027-03-01", "grace", 1, "amber"),  # the last day of grace
    ("2027-03-02", "expired", 0, "red"),  # grace over
]


@pytest.mark.parametrize(("on", "status", "days_left", "colour"), STATUSES)
def test_status_around_every_boundary(on, status, days_left, colour):
    at = status_at(
        start=D("2026-01-01"), end=D("2027-01-01"), on=D(on), warn_days=30, grace_days=60
    )
    assert (at.status, at.days_left, at.colour) == (status, days_left, colour)


def test_without_grace_the_end_date_is_expired():
    at = status_at(
        start=D("2026-01-01"), end=D("2027-01-01"), on=D("2027-01-01"), warn_days=30, grace_days=0
    )
    assert at.status == LicenceStatus.EXPIRED and not at.may_run


@pytest.mark.parametrize(
    ("on", "status", "days_left"),
    [("2025-12-31", LicenceStatus.NOT_YET_VALID, 1), ("2026-01-01", LicenceStatus.ACTIVE, 365)],
)
def test_not_yet_valid_before_the_start(on, status, days_left):
    at = status_at(start=D("2026-01-01"), end=D("2027-01-01"), on=D(on), warn_days=30, grace_days=0)
    assert (at.status, at.days_left) == (status, days_left)
    assert at.may_run is (status is LicenceStatus.ACTIVE)


def test_suspension_overrides_the_dates():
    at = status_at(
        start=D("2026-01-01"),
        end=D("2030-01-01"),
        on=D("2027-01-01"),
        warn_days=30,
        grace_days=0,
        suspended=True,
    )
    assert at.status == LicenceStatus.SUSPENDED and not at.may_run


@given(
    q0=st.integers(1, 10_000),
    extra=st.integers(1, 10_000),
    term=st.sampled_from([365, 1095, 1825]),
    left=st.integers(1, 1825),
)
def test_increase_is_never_less_than_the_exact_share(q0, extra, term, left):
    on = D("2026-01-01")
    cost = increase_cost(
        old_quantity=q0,
        new_quantity=q0 + extra,
        end=on + timedelta(days=left),
        on=on,
        term_days=term,
    )
    exact = Decimal(extra) * left / term
    assert exact <= cost < exact + Decimal("0.01")
