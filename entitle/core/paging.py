"""Cursor paging for feeds that clients poll (the activity feed): keyset on the row id, so a page
costs the same however deep it is, and a poller keeps the last cursor and asks again later.

`oldest` first pages forward in time and always returns a cursor — the last row seen — so that
polling with it returns only what happened since; `newest` first pages back in time and ends
with no cursor.
"""

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Literal

from django.db.models import QuerySet
from pydantic import Field

from entitle.core.errors import DomainError

MAX_LIMIT = 200
Order = Literal["newest", "oldest"]
# A cursor as a query parameter: bounded, printable ASCII.
Cursor = Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")]


class CursorInvalid(DomainError):
    status = 422
    code = "cursor_invalid"
    default_message = "This cursor is not one the API gave out."


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def encode(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isdigit():
            raise ValueError(text)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise CursorInvalid(field="cursor") from exc


def keyset_page(queryset: QuerySet, *, cursor: str | None, limit: int, order: Order) -> Page:
    limit = max(1, min(limit, MAX_LIMIT))
    oldest_first = order == "oldest"
    if cursor:
        after = decode(cursor)
        queryset = queryset.filter(pk__gt=after) if oldest_first else queryset.filter(pk__lt=after)
    rows = list(queryset.order_by("pk" if oldest_first else "-pk")[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    if oldest_first:
        # Always a cursor to poll with: the last row seen (or the one given, if nothing new).
        last = items[-1].pk if items else (decode(cursor) if cursor else 0)
        return Page(items, encode(last))
    return Page(items, encode(items[-1].pk) if more else None)
