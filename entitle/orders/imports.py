"""Bulk import of purchase orders from CSV (vendor staff).

Each PO goes through `po_record`, so an import can write nothing that the API could not: a PO
is recorded whole or rejected whole, and a bad PO does not stop the others. Running a file
again is safe: the POs it already recorded come back as duplicates, the rest are recorded.
"""

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from entitle.accounts.models import Company
from entitle.catalog.models import Sku
from entitle.catalog.selectors import sku_get_by_code
from entitle.core.actor import Actor
from entitle.core.errors import DomainError, NotFound
from entitle.core.policy import Action, require_vendor_staff
from entitle.orders.errors import PoInvalid
from entitle.orders.models import PurchaseOrder
from entitle.orders.services import LineInput, po_record

REQUIRED_COLUMNS = (
    "po_number",
    "purchasing_entity",
    "owner",
    "channel",
    "po_email",
    "sku",
    "quantity",
)
# A direct order has no reseller, few have an installer or an MSA; the date defaults to today
# and the price to the channel's list price.
OPTIONAL_COLUMNS = ("reseller", "installer", "msa_reference", "ordered_on", "unit_price")
# Every line of a PO repeats these, so they must agree (po_number and purchasing_entity are
# what the lines are grouped by).
PO_COLUMNS = (
    "reseller",
    "owner",
    "installer",
    "channel",
    "po_email",
    "msa_reference",
    "ordered_on",
)
# Compared and looked up regardless of case, as the import treats them.
CASELESS_COLUMNS = {"reseller", "owner", "installer", "channel", "po_email"}
FIRST_DATA_ROW = 2  # the header is row 1, as in a spreadsheet

ProgressCallback = Callable[[int, int], None]


class CsvInvalid(DomainError):
    """The file as a whole cannot be read: nothing is imported."""

    status = 422
    code = "csv_invalid"


@dataclass(frozen=True)
class Rejection:
    po_number: str
    purchasing_entity: str
    rows: list[int]
    reason: str

    def __str__(self) -> str:
        rows = ("row " if len(self.rows) == 1 else "rows ") + ", ".join(map(str, self.rows))
        po = f"PO {self.po_number or '(no number)'} of {self.purchasing_entity or '(no one)'}"
        return f"{po}, {rows}: {self.reason}"


@dataclass
class ImportReport:
    created: list[PurchaseOrder] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        imported, rejected = len(self.created), len(self.rejected)
        return f"{imported} PO{'' if imported == 1 else 's'} imported, {rejected} rejected"


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    # Why this row cannot be read, found while reading; it rejects the row's PO.
    problem: str | None = None

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class _Batch:
    """The rows of one PO, in the order of the file."""

    po_number: str
    purchasing_entity: str
    rows: list[_Row]

    @property
    def numbers(self) -> list[int]:
        return [row.number for row in self.rows]


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = next(reader)
    except StopIteration as exc:
        raise CsvInvalid("The file is empty: it needs a header row naming the columns.") from exc
    # A spreadsheet's UTF-8 export may begin with a byte-order mark.
    columns = [name.strip().lstrip("\ufeff").strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CsvInvalid(f"The header lacks the column(s) {', '.join(missing)}.")
    # An unknown column is most likely a misspelt optional one, whose values would otherwise
    # be dropped without a word.
    unknown = [name for name in columns if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise CsvInvalid(
            f"The header has column(s) this import does not know: {', '.join(map(repr, unknown))}."
            f" Optional columns are {', '.join(OPTIONAL_COLUMNS)}."
        )
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise CsvInvalid(f"The header names the column(s) {', '.join(twice)} more than once.")
    return columns


def _read(rows: Iterable[str]) -> list[_Batch]:
    """Every row of the file, grouped into POs; the whole file is read before anything is
    imported so that a malformed file imports nothing."""
    reader = csv.reader(rows, skipinitialspace=True)
    try:
        columns = _read_header(reader)
        batches: dict[tuple[str, str], _Batch] = {}
        lone: list[_Batch] = []
        for number, raw in enumerate(reader, start=FIRST_DATA_ROW):
            if not any(value.strip() for value in raw):
                continue
            row = _Row(number, dict(zip(columns, (value.strip() for value in raw), strict=False)))
            if any(value.strip() for value in raw[len(columns) :]):
                row.problem = f"Row {number} has more values than the header has columns."
            po_number, entity = row["po_number"], row["purchasing_entity"]
            if not po_number or not entity:
                missing = "PO number" if not po_number else "purchasing entity"
                row.problem = f"Row {number} has no {missing}, so it belongs to no PO."
                lone.append(_Batch(po_number, entity, [row]))
                continue
            key = (entity.casefold(), po_number.upper())
            batches.setdefault(key, _Batch(po_number, entity, [])).rows.append(row)
    except csv.Error as exc:
        raise CsvInvalid(f"Line {reader.line_num} of the file is not valid CSV: {exc}.") from exc
    return sorted([*batches.values(), *lone], key=lambda batch: batch.rows[0].number)


class _Names:
    """Companies and SKUs named in the file, each looked up once per import."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self._companies: dict[str, list[Company]] = {}
        self._skus: dict[str, Sku | None] = {}

    def company(self, name: str, column: str) -> Company:
        if name not in self._companies:
            # Two companies may share a name; two matches are reported, never guessed between.
            self._companies[name] = list(
                Company.objects.visible_to(self.actor, Action.VIEW).filter(name__iexact=name)[:2]
            )
        found = self._companies[name]
        if not found:
            raise PoInvalid(f"No company is named {name!r} ({column}).")
        if len(found) > 1:
            raise PoInvalid(f"More than one company is named {name!r} ({column}).")
        return found[0]

    def sku(self, code: str, row: int) -> Sku:
        if not code:
            raise PoInvalid(f"Row {row} has no SKU.")
        if code not in self._skus:
            try:
                self._skus[code] = sku_get_by_code(actor=self.actor, code=code)
            except NotFound:
                self._skus[code] = None
        sku = self._skus[code]
        if sku is None:
            raise PoInvalid(f"Row {row}: there is no SKU {code!r}.")
        return sku


def _disagreements(batch: _Batch) -> str | None:
    problems = []
    for column in PO_COLUMNS:
        first_seen: dict[str, tuple[str, int]] = {}
        for row in batch.rows:
            value = row[column]
            key = value.casefold() if column in CASELESS_COLUMNS else value
            first_seen.setdefault(key, (value, row.number))
        if len(first_seen) > 1:
            where = ", ".join(f"{value!r} on row {n}" for value, n in first_seen.values())
            problems.append(f"{column} ({where})")
    if not problems:
        return None
    return f"The rows of this PO disagree on {'; '.join(problems)}."


def _ordered_on(text: str, row: int) -> date | None:
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PoInvalid(
            f"Row {row}: the order date must be a date written YYYY-MM-DD, not {text!r}."
        ) from exc


def _line(row: _Row, names: _Names) -> LineInput:
    """Turn the row's text into values; whether they are acceptable is po_record's call."""
    sku = names.sku(row["sku"], row.number)
    quantity = row["quantity"]
    if not re.fullmatch(r"[0-9]+", quantity):
        raise PoInvalid(f"Row {row.number}: the quantity must be a whole number, not {quantity!r}.")
    price = row["unit_price"]
    if not price:
        return LineInput(sku, int(quantity))
    try:
        unit_price = Decimal(price)
    except InvalidOperation:
        unit_price = None
    # Decimal also reads "NaN" and "Infinity", which are no price.
    if unit_price is None or not unit_price.is_finite():
        raise PoInvalid(f"Row {row.number}: the unit price must be a number, not {price!r}.")
    return LineInput(sku, int(quantity), unit_price)


def _po_arguments(batch: _Batch, names: _Names) -> dict:
    for row in batch.rows:
        if row.problem:
            raise PoInvalid(row.problem)
    disagreement = _disagreements(batch)
    if disagreement:
        raise PoInvalid(disagreement)
    first = batch.rows[0]

    def party(column: str, *, required: bool) -> Company | None:
        name = first[column]
        if not name:
            if required:
                raise PoInvalid(f"Row {first.number} has no {column}.")
            return None
        return names.company(name, column)

    return {
        "po_number": batch.po_number,
        "purchasing_entity": party("purchasing_entity", required=True),
        "owner": party("owner", required=True),
        "reseller": party("reseller", required=False),
        "installer": party("installer", required=False),
        "channel": first["channel"].lower(),
        "po_email": first["po_email"],
        "msa_reference": first["msa_reference"],
        "ordered_on": _ordered_on(first["ordered_on"], first.number),
        "lines": [_line(row, names) for row in batch.rows],
    }


def po_import_csv(
    *,
    actor: Actor,
    rows: Iterable[str],
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Record the POs of a CSV file (header row, one row per order line) through `po_record`.

    `rows` is any iterable of text lines: an open text file, or a list of strings. Raises
    `CsvInvalid` before importing anything if the file itself cannot be read; a PO that cannot
    be recorded is rejected whole, with its rows and the reason, and the others still import.
    `on_progress(done, total)` is called after each PO.
    """
    require_vendor_staff(actor)
    batches = _read(rows)
    names = _Names(actor)
    report = ImportReport()
    for done, batch in enumerate(batches, start=1):
        try:
            po = po_record(actor=actor, **_po_arguments(batch, names))
        except DomainError as exc:
            report.rejected.append(
                Rejection(batch.po_number, batch.purchasing_entity, batch.numbers, exc.message)
            )
        else:
            report.created.append(po)
        if on_progress is not None:
            on_progress(done, len(batches))
    return report
