"""The units the domain counts in, defined once: credits and prices in cents, licences in days.

DOMAIN.md: "Credits are decimal with two places"; "a licence covers every day before `end`
(the portal may show `end − 1` as 'valid through')".
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.formats import date_format

CENT = Decimal("0.01")


def cents(value: Decimal | int | str, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """`value` with exactly two decimal places."""
    return Decimal(value).quantize(CENT, rounding=rounding)


def in_cents(value: Decimal) -> int:
    """`value` counted in whole cents: an exact integer, which SQLite too adds and compares
    exactly (it keeps decimals as floating point)."""
    return int(cents(value) * 100)


def from_cents(count: int) -> Decimal:
    """The amount of `count` whole cents."""
    return cents(Decimal(count) / 100)


def has_cents_only(value: Decimal) -> bool:
    """A finite amount with at most two decimal places (a price or a number of credits)."""
    return value.is_finite() and value == value.quantize(CENT)


def valid_through(end: date) -> date:
    """The last day covered by something that ends on `end` (the first day not covered)."""
    return end - timedelta(days=1)


def valid_through_text(end: date | str) -> str:
    """ "23 Dec 2027": the last day a licence ending on `end` (the first day not covered, a
    date or its ISO text) covers, written as every screen writes dates."""
    if isinstance(end, str):
        end = date.fromisoformat(end)
    return date_format(valid_through(end))
