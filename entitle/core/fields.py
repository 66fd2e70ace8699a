"""The API's input types: every value bounded and strict, declared once.

Every `…In` schema derives from `InputSchema` and types its fields with these, and query
parameters use them too, so that no input reaches a service unbounded or coerced:

- integers are JSON integers (no `true`, `"5"` or `1.0`) within the domain's range, which is
  inside the database column's (PostgreSQL `integer`);
- money is a decimal of at most 12 digits, 2 of them after the point (a JSON number or a
  decimal string such as `"40.00"`, the usual way to send money without float rounding);
- dates are `YYYY-MM-DD` strings between 2000 and 2099 (no timestamps, no year 1 or 9999);
- booleans are JSON booleans;
- strings have a maximum length, and never contain NUL or unpaired surrogates (which
  PostgreSQL cannot store); names and identifiers are single-line, without control characters
  or the invisible bidirectional overrides that make a name display as something else.

`tests/test_input_bounds.py` reads the OpenAPI schema and fails if any request field is
left without bounds, so a new field cannot forget them.
"""

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

# Bidirectional embeddings, overrides and isolates, and the marks (Trojan Source, CVE-2021-42574).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# The largest value of a PostgreSQL `integer` column (Django's IntegerField and friends).
INT32_MAX = 2**31 - 1
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


def storable(value: str) -> str:
    """Any text: no NUL and no unpaired surrogate (neither can be stored)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        raise ValueError("must be valid Unicode text")
    return value


def single_line(value: str) -> str:
    """A name or identifier: storable, no control characters, no bidirectional controls."""
    storable(value)
    for ch in value:
        if unicodedata.category(ch) == "Cc":
            raise ValueError("must not contain control characters or line breaks")
        if ch in BIDI_CONTROLS:
            raise ValueError("must not contain bidirectional control characters")
    return value


def multi_line(value: str) -> str:
    """Free text (a message): storable; line breaks and tabs, but no other control character."""
    storable(value)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def _sane_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


_MOMENT = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"


def _iso_moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}[T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?", value
    ):
        raise ValueError("must be a date and time written YYYY-MM-DDTHH:MM:SS, with its offset")
    return value


def _sane_moment(value: datetime) -> datetime:
    _sane_date(value.date())
    return value


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    return value


def text(max_length: int) -> Any:
    """A single-line string of at most `max_length` characters, surrounding spaces removed."""
    return Annotated[
        str,
        Strict(),
        StringConstraints(strip_whitespace=True, max_length=max_length),
        AfterValidator(single_line),
    ]


def integer(minimum: int, maximum: int) -> Any:
    assert maximum <= INT32_MAX
    return Annotated[int, Strict(), Field(ge=minimum, le=maximum)]


# Names people type: companies, users, devices, tokens, SKUs, products.
Name = text(120)
# SKU and product codes.
Code = text(40)
# References: PO numbers, MSA references, Activation and Subscription IDs, host ids.
Reference = text(64)
HostId = text(128)
# A signed token from a link (an invitation, a registration).
Token = text(500)
# A line of text: a location, a reason, a summary.
Line = text(200)
# A URL the server will call (a webhook endpoint, an identity provider).
Url = text(500)
# An e-mail address (its format is the service's to check, with DOMAIN.md's messages).
Email = text(254)
# An idempotency key, a nonce: printable ASCII the client chose.
Key = Annotated[str, Strict(), Field(max_length=100, pattern=r"^[\x21-\x7e]*$")]
# A search term or a filter in a query string.
Query = text(100)
# Free text: a message to a partner, a reason, a description.
Message = Annotated[str, Strict(), Field(max_length=2000), AfterValidator(multi_line)]
Password = Annotated[str, Strict(), Field(max_length=128), AfterValidator(storable)]

# A row of another object named by its id (ids are 64-bit).
Id = Annotated[int, Strict(), Field(ge=1, le=2**63 - 1)]
QUANTITY_MAX = 1_000_000
TERMS_MAX = 10
Quantity = integer(1, QUANTITY_MAX)
Terms = integer(1, TERMS_MAX)
TermDays = integer(1, 3650)
PolicyDays = integer(0, 365)
ReminderDay = integer(0, 730)
MONEY_DIGITS = 10
# Prices: up to 99,999,999.99, so that the direct price (at a premium) and a line's amount
# still fit the 12-digit columns.
Money = Annotated[
    Decimal,
    BeforeValidator(_no_bool),
    Field(ge=0, max_digits=MONEY_DIGITS, decimal_places=2, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 99999999.99, "multipleOf": 0.01},
                {"type": "string", "pattern": r"^\d{1,8}(\.\d{1,2})?$", "maxLength": 11},
            ]
        }
    ),
]
Day = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_sane_date)]
Moment = Annotated[datetime, BeforeValidator(_iso_moment), AfterValidator(_sane_moment)]
Flag = Annotated[bool, Strict()]


# The portal's forms check the same: Django validators of the same rules.


def _django(rule: Callable[[str], str]) -> Callable[[str], None]:
    def validate(value: str) -> None:
        try:
            rule(value)
        except ValueError as error:
            raise ValidationError(f"This {error}.", code="invalid_text") from error

    return validate


validate_single_line = _django(single_line)
validate_multi_line = _django(multi_line)


class InputSchema(Schema):
    """The base of every request body: unknown fields are refused, strings are bounded."""

    model_config = ConfigDict(extra="forbid", str_max_length=4000)
