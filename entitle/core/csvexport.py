"""Every CSV export goes through here: cells that a spreadsheet would run are neutralised.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK("http://evil.example","x")` in a device name would
become a live link in the vendor's spreadsheet). Such a text cell is written with a leading
apostrophe, which spreadsheets show as text; numbers stay numbers. (`defusedcsv` does not treat
tabs and carriage returns, hence this small module.)

    return csv_response(
        filename="devices.csv",
        header=["name", "host id"],
        rows=((device.name, device.host_id) for device in devices),
    )

Pass only fields the actor may see (the field policy decides): this module only formats.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | float | date | datetime | None


def safe_cell(value: Cell) -> str | int | Decimal | float:
    """A cell a spreadsheet shows as written: text that would be a formula gets a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands the line back, for streaming."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> StreamingHttpResponse:
    """A CSV download, streamed row by row (the rows may be a lazy query)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
