"""The one writer of CSV and XLSX exports (kernel: imports nothing else of the project).

Every export a person downloads goes through :func:`csv_text`, :func:`xlsx_bytes` or (for a
workbook of several sheets) :func:`write_sheet`, so that a
text a spreadsheet would run as a formula — starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (OWASP "CSV injection") — is always written as plain text, prefixed with an
apostrophe, whoever typed it. Dates stay dates (ISO text in CSV, date cells in XLSX); CSV starts
with a UTF-8 byte order mark so that Excel reads Chinese and Uyghur.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula, made plain text (prefixed with ``'``)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(value)


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """Header and rows as CSV text with a byte order mark; every text cell neutralised."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([_csv_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: callers pass local times
    return neutralise(value)


def _width(value: Any) -> int:
    text = str(value if value is not None else "").split("\n", 1)[0]
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def restore(value: Any) -> Any:
    """The text :func:`neutralise` wrote, as it was (for importing a workbook we exported)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def safe_sheet_title(text: str) -> str:
    """``text`` as a sheet's name (at most 31 characters, none of ``[]:*?/\\``)."""
    return (text or "Sheet")[:31].translate(str.maketrans("[]:*?/\\", "()_____"))


def write_sheet(
    ws,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    rtl: bool = False,
    datetime_format: str = "yyyy-mm-dd hh:mm",
) -> None:
    """Fill the empty worksheet ``ws``: bold frozen header, text cells that are never formulas,
    dates as dates, columns as wide as their content (up to a limit)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    data = [list(r) for r in rows]
    head = [str(h) for h in header]
    ws.sheet_view.rightToLeft = rtl
    ws.append([neutralise(h) for h in head])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    top = Alignment(vertical="top", wrap_text=True)
    # cell by cell by position: ``ws[ws.max_row]`` scans every cell written so far (a workbook
    # of 3,000 rows took 9 s)
    for number, row in enumerate(data, start=2):
        for column, value in enumerate(row, start=1):
            cell = ws.cell(row=number, column=column, value=_xlsx_cell(value))
            cell.alignment = top
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula (neutralised above as well)
            elif isinstance(cell.value, datetime):
                cell.number_format = datetime_format
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    for i, name in enumerate(head, start=1):
        widest = max(_width(v) for v in [name, *(r[i - 1] for r in data if len(r) >= i)])
        ws.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, 8), 60)


def xlsx_bytes(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "",
    title: str = "",
    rtl: bool = False,
    datetime_format: str = "yyyy-mm-dd hh:mm",
) -> bytes:
    """Header and rows as an XLSX workbook of one sheet (see :func:`write_sheet`)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = safe_sheet_title(sheet_title)
    write_sheet(ws, header, rows, rtl=rtl, datetime_format=datetime_format)
    wb.properties.creator = "Gongkai"
    wb.properties.title = title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_response(data: bytes, filename: str):
    """An XLSX download named ``filename``, never kept by a shared cache."""
    from flask import Response

    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
