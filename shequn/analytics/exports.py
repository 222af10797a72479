"""导出: any overview table as an Excel workbook (openpyxl) or a CSV file (UTF-8 with BOM, so Excel reads the
Chinese headers). Money columns hold fen and are written in yuan computed with integer arithmetic."""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shequn.core.errors import ValidationProblem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")
KINDS = ("text", "label", "int", "fen", "pct")
NUMBER_FORMATS = {"fen": "#,##0.00", "pct": "0.0%", "int": "#,##0"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    title: str
    # text (names people typed: never left to start a formula) | label (text Shequn wrote, e.g. "+12.5%") |
    # int | fen (integer fen, shown in yuan) | pct (a ratio 0..1)
    kind: str = "text"


@dataclass
class Table:
    name: str  # file name stem, ASCII
    title: str  # sheet title
    columns: list[Column]
    rows: list[list]


def yuan(fen: int) -> Decimal:
    return Decimal(int(fen)) / 100


def _safe_text(value) -> str:
    """Text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _cell(value, kind: str):
    if value is None:
        return None
    if kind == "fen":
        return yuan(value)
    if kind in ("int", "pct", "label"):
        return value
    return _safe_text(value)


def _csv_cell(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "fen":
        return f"{yuan(value):.2f}"
    if kind == "pct":
        return f"{Decimal(str(value)) * 100:.2f}%"
    if kind == "int":
        return str(int(value))
    if kind == "label":
        return str(value)
    return _safe_text(value)


def xlsx_bytes(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = table.title[:31]
    ws.append([c.title for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append([_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    for index, column in enumerate(table.columns, start=1):
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(column.title) * 2 + 4))
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_text(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return buffer.getvalue()


def response(table: Table, fmt: str) -> HttpResponse:
    """The table as a download in `fmt` (xlsx or csv)."""
    if fmt == "xlsx":
        resp = HttpResponse(xlsx_bytes(table), content_type=XLSX)
    elif fmt == "csv":
        resp = HttpResponse(("\ufeff" + csv_text(table)).encode("utf-8"), content_type="text/csv; charset=utf-8")
    else:
        raise ValidationProblem(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.",
                                type="invalid-export-format", field="export")
    resp["Content-Disposition"] = f'attachment; filename="{table.name}.{fmt}"'
    return resp
