"""Reading member files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected) and XLSX.

Rows come out as (line, cells) where `line` is the line a person sees in the file
(header = line 1) or the sheet row number, and cells are the raw values."""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message says why."""


@dataclass
class Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[Any]]]
    encoding: str = ""


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a CSV's bytes; returns (text, encoding).

    UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK, what Excel on
    Chinese Windows writes). charset-normalizer is the last resort: on short Chinese
    files it guesses Korean or Japanese code pages, so it cannot come first."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name), name
    for name in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(name), "utf-8" if name == "utf-8-sig" else "gbk"
        except UnicodeDecodeError:
            continue
    guess = charset_normalizer.from_bytes(data).best()
    if guess is None:
        raise UnreadableFile("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")
    return str(guess), guess.encoding


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _table(rows: Iterator[tuple[int, list[Any]]], encoding: str = "") -> Table:
    for line, cells in rows:
        if not _blank(cells):
            header = ["" if c is None else str(c).strip() for c in cells]
            body = [(n, c) for n, c in rows if not _blank(c)]
            return Table(header=header, header_line=line, rows=body, encoding=encoding)
    raise UnreadableFile("文件是空的：没有表头行")


def read_csv(data: bytes) -> Table:
    text, encoding = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count) if any(d in first_line for d in ";\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        start = 1
        try:
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except csv.Error as exc:
            raise UnreadableFile(f"第 {reader.line_num} 行 CSV 格式错误：{exc}") from exc

    return _table(numbered(), encoding)


def read_xlsx(path: Path) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"无法打开 Excel 文件：{exc}") from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the stored size can be wrong; read every row there is

        def numbered() -> Iterator[tuple[int, list[Any]]]:
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
                yield number, list(values)

        return _table(numbered(), "xlsx")
    finally:
        book.close()


def read_table(path: Path) -> Table:
    """Read the first sheet of an XLSX file, or a CSV file, by its content."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(path)
    if path.suffix.lower() in (".xls",):
        raise UnreadableFile("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV")
    if b"\x00" in data[:1024] and not data.startswith(tuple(b for b, _ in _BOMS)):
        raise UnreadableFile("这不是 CSV 或 XLSX 文件")
    return read_csv(data)
