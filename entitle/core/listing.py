"""Every list pages, searches, sorts and filters through one `Listing`, declared next to the
selector whose rows it lists, and used alike by the portal's page, the API's list and the CSV
export — so the three can never disagree about what a filter or a sort means.

    LICENCES = Listing(
        search=lambda text: Q(product__name__icontains=text) | Q(sku__code__iexact=text),
        sorts={"end": Sort("Valid through", "end_date"), "sku": Sort("SKU", "sku__code")},
        default="end",
        filters={"ends_within": Filter("Ends within (days)", Days, lambda rows, days: ...)},
    )
    page = LICENCES.page(selectors.licence_list(actor=actor), params)

Pages are keyset pages: the cursor holds the sort value and the primary key of the last row
shown, so the millionth row costs what the first does (an OFFSET would read every row before
it). That is why ninja's `CursorPagination` (one fixed ordering per route) and
django-cursor-pagination (values compared as text, `|` in a value breaks the cursor) are not
used: a sort chosen per request, with the value parsed back by its own model field, is the
whole of it. Sort fields are non-null columns, so `(value, pk)` orders every row exactly once.

The rows given to a listing come from a selector that starts at `visible_to`; a listing only
narrows them, and its search is over what the reader may see (the selector's annotations).
"""

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal, get_args, get_origin

from django.core.exceptions import ValidationError as FieldValueInvalid
from django.db.models import Choices, Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from ninja import Schema
from pydantic import Field, ValidationError, create_model

from entitle.core.csvexport import Cell, csv_response
from entitle.core.errors import DomainError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The longest search text: longer than any identifier or name a list searches.
MAX_SEARCH = 120
# Rows read from the database at a time when a list is exported: memory stays flat however
# long the export.
EXPORT_CHUNK = 2000
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


# What a cursor that was not given out fails with: bad base64, bad UTF-8, bad JSON, a value
# that is not its column's type.
CURSOR_ERRORS = (binascii.Error, UnicodeDecodeError, TypeError, ValueError, FieldValueInvalid)


class CursorInvalid(DomainError):
    status = 422
    code = "cursor_invalid"
    default_message = "This cursor is not one this list gave out; start again from the first page."


@dataclass(frozen=True)
class Sort:
    label: str
    # A non-null column (a path through foreign keys is allowed).
    field: str


@dataclass(frozen=True)
class Filter:
    label: str
    # The value's type as a query parameter (a `Literal` of choices, a bounded int, a date…).
    type: Any
    apply: Callable[[QuerySet, Any], QuerySet]
    # For the portal's select: (value, label) pairs, or a function giving them when the page
    # is drawn (the catalog's products); a `Literal` type gives them by itself.
    choices: Sequence[tuple[str, str]] | Callable[[], Iterable[tuple[str, str]]] = ()

    def options(self) -> list[tuple[str, str]]:
        if callable(self.choices):
            return list(self.choices())
        if self.choices:
            return list(self.choices)
        if get_origin(self.type) is Literal:
            return [(value, str(value).capitalize()) for value in get_args(self.type)]
        return []

    @property
    def input_type(self) -> str:
        base = get_args(self.type)[0] if get_origin(self.type) is Annotated else self.type
        if base is int:
            return "number"
        if base is date:
            return "date"
        return "text"


def choice_filter(
    label: str,
    choices: type[Choices],
    field: str,
    *,
    labels: Sequence[tuple[str, str]] | None = None,
) -> Filter:
    """A filter on a column of `choices`: its values are the parameter's type (documented in
    OpenAPI), its labels (or `labels`) the portal's options."""
    return Filter(
        label,
        Literal[tuple(choices.values)],  # type: ignore[misc]
        lambda rows, value: rows.filter(**{field: value}),
        choices=labels if labels is not None else choices.choices,
    )


DaysAhead = Annotated[int, Field(ge=0, le=3650)]


def ends_within(field: str) -> Filter:
    """Rows whose `field` (a first day not covered) falls in the next N days, today excluded:
    what ends soon, not what has ended."""

    def apply(rows: QuerySet, days: int) -> QuerySet:
        today = timezone.localdate()
        return rows.filter(**{f"{field}__gt": today, f"{field}__lte": today + timedelta(days=days)})

    return Filter("Ends within (days)", DaysAhead, apply)


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None
    params: Schema
    listing: "Listing"

    @property
    def sort(self) -> str:
        return self.params.sort


@dataclass(frozen=True)
class Column:
    """A CSV column: its header and how to read it from a row (only what the reader may see)."""

    header: str
    read: Callable[[Any], Cell]


@dataclass(frozen=True)
class Listing:
    sorts: dict[str, Sort]
    default: str
    search: Callable[[str], Q] | None = None
    search_hint: str = ""
    filters: dict[str, Filter] = field(default_factory=dict)
    # Where a row is not one model row (a join lists an entitlement once per licence): the
    # non-null integer annotation that, after the primary key, tells its rows apart.
    then_by: str | None = None

    @cached_property
    def Params(self) -> type[Schema]:
        """The query parameters, for ninja (`Query[LISTING.Params]`, documented in OpenAPI) and
        for the portal's GET forms alike."""
        sort_values = tuple(k for name in self.sorts for k in (name, f"-{name}"))
        fields: dict[str, Any] = {
            "sort": (
                Literal[sort_values],  # type: ignore[valid-type]
                Field(self.default, description="A column; `-` before it sorts descending."),
            ),
            "cursor": (
                str | None,
                Field(
                    None,
                    max_length=200,
                    pattern=r"^[A-Za-z0-9_=-]*$",
                    description="`next_cursor` of the previous page.",
                ),
            ),
            "limit": (int, Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows a page.")),
        }
        if self.search is not None:
            fields["q"] = (
                str | None,
                Field(None, max_length=MAX_SEARCH, pattern=PRINTABLE, description=self.search_hint),
            )
        for name, spec in self.filters.items():
            fields[name] = (spec.type | None, Field(None, description=spec.label))
        return create_model("ListParams", __base__=Schema, **fields)

    def parse(self, data: dict[str, Any]) -> Schema:
        """Parameters from a portal GET (blank fields count as absent); raises ListQueryInvalid."""
        clean = {key: value for key, value in data.items() if value not in ("", None)}
        try:
            return self.Params(**clean)
        except ValidationError as exc:
            where = exc.errors()[0]["loc"][0] if exc.errors() and exc.errors()[0]["loc"] else None
            raise ListQueryInvalid(field=str(where) if where else None) from exc

    def narrow(self, rows: QuerySet, params: Schema) -> QuerySet:
        """Search and filters, without order or page: what a page and an export both list."""
        text = (getattr(params, "q", None) or "").strip()
        if text and self.search is not None:
            rows = rows.filter(self.search(text))
        for name, spec in self.filters.items():
            value = getattr(params, name)
            if value is not None:
                rows = spec.apply(rows, value)
        return rows

    def ordered(self, rows: QuerySet, params: Schema) -> QuerySet:
        path, descending = self._sort(params.sort)
        keys = (path, "pk", *((self.then_by,) if self.then_by else ()))
        return rows.order_by(*(f"-{key}" if descending else key for key in keys))

    def page(self, rows: QuerySet, params: Schema) -> Page:
        rows = self.ordered(self.narrow(rows, params), params)
        path, descending = self._sort(params.sort)
        if params.cursor:
            value, pk, *then = self._decode(rows, path, params.cursor, len(self._then()))
            after = "lt" if descending else "gt"
            later = Q(**{f"{path}__{after}": value}) | Q(**{path: value, f"pk__{after}": pk})
            if self.then_by:
                later |= Q(**{path: value, "pk": pk, f"{self.then_by}__{after}": then[0]})
            # The same bound once more, on its own: the database cannot seek an index with the
            # OR above, and would read every row before the page (1.5 s for the 100,000th row
            # of a 200,000-licence company); with it, it starts at the page.
            rows = rows.filter(Q(**{f"{path}__{after}e": value}) & later)
        found = list(rows[: params.limit + 1])
        items = found[: params.limit]
        more = len(found) > params.limit
        if more:
            last = items[-1]
            keys = [getattr(last, name) for name in self._then()]
            cursor = self._encode(_read(last, path), last.pk, *keys)
        else:
            cursor = None
        return Page(items=items, next_cursor=cursor, params=params, listing=self)

    def _then(self) -> tuple[str, ...]:
        return (self.then_by,) if self.then_by else ()

    def export(
        self, rows: QuerySet, params: Schema, *, filename: str, columns: Iterable[Column]
    ) -> Any:
        """The whole filtered list as a streamed CSV, read in chunks."""
        columns = list(columns)
        ordered = self.ordered(self.narrow(rows, params), params)
        return csv_response(
            filename=filename,
            header=[column.header for column in columns],
            rows=_rows(ordered.iterator(chunk_size=EXPORT_CHUNK), columns),
        )

    def _sort(self, value: str) -> tuple[str, bool]:
        name = value.removeprefix("-")
        return self.sorts[name].field, value.startswith("-")

    @staticmethod
    def _encode(value: Any, pk: int, *keys: int) -> str:
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        text = json.dumps([value, pk, *keys], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode()

    @staticmethod
    def _decode(rows: QuerySet, path: str, cursor: str, then: int = 0) -> list[Any]:
        try:
            value, *keys = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if len(keys) != 1 + then:
                raise ValueError(keys)
            for key in keys:
                if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < 2**63:
                    raise ValueError(key)
            if keys[0] == 0:
                raise ValueError(keys)
            return [_field(rows, path).to_python(value), *keys]
        except CURSOR_ERRORS as exc:
            raise CursorInvalid(field="cursor") from exc


class ListQueryInvalid(DomainError):
    status = 422
    code = "invalid_list_query"
    default_message = "This search, sort or filter is not one this list offers."


def _field(rows: QuerySet, path: str):
    """The model field of a sort's column, or the output field of an annotation."""
    if path in rows.query.annotations:
        return rows.query.annotations[path].output_field
    model: type[Model] = rows.model
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def _read(row: Any, path: str) -> Any:
    for part in path.split("__"):
        row = getattr(row, part)
    return row


def _shown(value: Any) -> Any:
    """A filter's value as its form field holds it (a date input takes 2026-12-01)."""
    return value.isoformat() if isinstance(value, date) else value


def _rows(rows: Iterator[Any], columns: list[Column]) -> Iterator[list[Cell]]:
    for row in rows:
        yield [column.read(row) for column in columns]


def page_schema(item: type[Schema]) -> type[Schema]:
    """The API's answer for a list: a page of `item`s and the cursor of the next page."""
    return create_model(
        f"{item.__name__.removesuffix('Out')}PageOut",
        __base__=Schema,
        items=(list[item], ...),
        next_cursor=(
            str | None,
            Field(None, description="Pass it as `cursor` for the next page; null on the last."),
        ),
    )


@dataclass(frozen=True)
class Control:
    """A filter as the portal's list form draws it."""

    name: str
    label: str
    input_type: str
    options: list[tuple[str, str]]
    value: Any


def list_response(
    request: HttpRequest,
    listing: Listing,
    rows: QuerySet,
    *,
    template: str,
    context: dict[str, Any] | None = None,
    filename: str,
    columns: Iterable[Column],
    present: Callable[[list], list] | None = None,
) -> HttpResponse:
    """A portal list page: the page of rows asked for (search, filters, sort, cursor from the
    query string), or with `?format=csv` the whole filtered list as CSV. The template gets
    `page` (its `items`, `next_cursor`) and `controls`, for `core/list_controls.html` and
    `core/pager.html`. `present` turns a page's rows into what the template shows (an activity
    page's sentences)."""
    data = request.GET.dict()
    wants_csv = data.pop("format", None) == "csv"
    params = listing.parse(data)
    if wants_csv:
        return listing.export(rows, params, filename=filename, columns=columns)
    page = listing.page(rows, params)
    if present is not None:
        page = replace(page, items=present(page.items))
    query = request.GET.copy()
    query.pop("cursor", None)
    controls = [
        Control(name, spec.label, spec.input_type, spec.options(), _shown(getattr(params, name)))
        for name, spec in listing.filters.items()
    ]
    return render(
        request,
        template,
        {
            **(context or {}),
            "page": page,
            "controls": controls,
            "sort_options": [(name, sort.label) for name, sort in listing.sorts.items()],
            "searchable": listing.search is not None,
            "search_hint": listing.search_hint,
            "filtered": any(data.get(name) for name in ("q", *listing.filters) if name in data),
            "query": query,
        },
    )
