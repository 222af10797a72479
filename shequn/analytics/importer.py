"""交易导入: import purchase history (transactions) from a CSV or XLSX file, all or nothing.

Every row is checked first; any bad row means nothing is written and every problem is reported with its
line number. Members the file names by external id who are not known yet are created as imported members
(no phone, no points) unless `create_members=False`, when they are line errors instead. Imported
transactions carry `source="import"` and a `source_ref` that makes a re-import change nothing:

- a row with an order number: its store code, order number, SKU and direction (purchase or refund);
- a row without one: a hash of the row's values as read (member, time in UTC, fen, quantity, store, SKU);

each followed by the row's occurrence number among rows with the same key in the file, so two identical
purchases in one file are both kept and a second import of the file (or of a later export that repeats
these rows) adds nothing. Imported history earns no points: only the analytics see it."""

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction

from shequn.core import audit, clock, outbox
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.members.import_read import Table, UnreadableFile, read_csv, read_table, read_xlsx
from shequn.members.importer import RowError
from shequn.stores.models import Store
from shequn.stores.selectors import stores_visible_to

from . import import_fields as fields
from .import_write import NewImportedMember, Row, create_members, existing_members, existing_refs, insert_transactions

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 5000
ATTEMPTS = 3  # a concurrent import may create the same new members first; the retry finds them


@dataclass
class ImportResult:
    rows: int = 0  # data rows in the file
    created: int = 0  # transactions written (in a dry run: that would be written)
    skipped_existing: int = 0  # rows imported before (same source_ref): left as they are
    members_created: int = 0  # (in a dry run: that would be created)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Checked:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    first_seen: dict[str, NewImportedMember] = field(default_factory=dict)  # external id -> first row facts
    occurrences: dict[bytes, int] = field(default_factory=dict)
    orders: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (store, order) -> (member, line)


def import_transactions(actor: Actor, source: Path | str | BinaryIO, *, dry_run: bool = False,
                        create_members: bool = True, progress: Progress | None = None,
                        file_name: str | None = None) -> ImportResult:
    """Check every row of `source` (a path or a binary file), then, unless dry_run or any row is bad, write it.

    `progress(done, total)` is called every few thousand rows; `total` covers checking and, unless dry_run,
    writing."""
    if not actor.can("members.import"):
        raise PermissionDenied("Your role may not import purchase history.", type="import-denied")
    result = ImportResult(dry_run=dry_run)
    name = file_name or (Path(source).name if isinstance(source, str | Path) else getattr(source, "name", "upload"))
    try:
        table = _read(source)
    except UnreadableFile as exc:
        result.errors.append(RowError(0, "", str(exc)))
        return result
    except OSError as exc:
        result.errors.append(RowError(0, "", f"无法读取文件 {name}：{exc.strerror or exc}"))
        return result
    result.rows = len(table.rows)
    columns, problems = fields.map_header(table.header)
    if problems:
        result.errors = [RowError(table.header_line, "", p) for p in problems]
        return result
    if not table.rows:
        result.errors = [RowError(0, "", "文件只有表头，没有交易数据")]
        return result

    work = result.rows * (1 if dry_run else 2)
    stores = {s.code: s for s in stores_visible_to(actor)}
    checked = _check_rows(table, columns, stores, actor, progress, work)
    del table
    if checked.errors:
        result.errors = sorted(checked.errors, key=lambda e: (e.line, e.field))
        return result
    for _ in range(ATTEMPTS):
        try:
            return _resolve_and_write(checked, result, actor=actor, create=create_members, dry_run=dry_run,
                                      file_name=name, progress=progress, work=work)
        except IntegrityError:
            continue  # another import created some of these members first: look them up again
    result.created = result.skipped_existing = result.members_created = 0
    result.errors = [RowError(0, "", "导入期间其他导入一直在创建相同的会员，未导入任何数据；请稍后重新导入")]
    return result


def _read(source: Path | str | BinaryIO) -> Table:
    if isinstance(source, str | Path):
        return read_table(Path(source))
    data = source.read()
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(io.BytesIO(data))  # type: ignore[arg-type]  # openpyxl takes a file object too
    if b"\x00" in data[:1024] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("这不是 CSV 或 XLSX 文件")
    return read_csv(data)


def _cell(cells: list[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    return cells[index]


_PARSERS = (("external_id", fields.parse_external_id), ("amount", fields.parse_amount),
            ("quantity", fields.parse_quantity),
            ("order_no", partial(fields.parse_code, label="订单号", limit=fields.MAX_ORDER_NO)),
            ("sku", partial(fields.parse_code, label="商品编码", limit=fields.MAX_SKU)),
            ("store_code", partial(fields.parse_code, label="门店编码", limit=32)))


def _check_rows(table: Table, columns: dict[str, int], stores: dict[str, Store], actor: Actor,
                progress: Progress | None, work: int) -> _Checked:
    """Check every row; the table's rows are used up."""
    checked = _Checked()
    now = clock.now()
    default_tz = ZoneInfo(settings.TIME_ZONE)
    zones = {code: ZoneInfo(s.timezone or settings.TIME_ZONE) for code, s in stores.items()}
    times: dict[tuple[Any, str], dt.datetime | str] = {}  # (cell, zone) -> UTC time or the problem
    parsers = [(name, columns.get(name), parse) for name, parse in _PARSERS]
    time_index = columns["occurred_at"]
    rows = table.rows
    for done in range(1, len(rows) + 1):
        line, cells = rows[done - 1]
        rows[done - 1] = None  # type: ignore[call-overload]  # a million rows: let each go once checked
        values: dict[str, Any] = {}
        before = len(checked.errors)
        for name, index, parse in parsers:
            try:
                values[name] = parse(_cell(cells, index))
            except fields.BadValue as exc:
                checked.errors.append(RowError(line, name, str(exc)))
        _check_row(checked, line, values, _cell(cells, time_index), before, stores, zones, default_tz, times,
                   now, actor)
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, work)
    if progress:
        progress(len(rows), work)
    checked.occurrences.clear()
    checked.orders.clear()
    return checked


def _check_row(checked: _Checked, line: int, values: dict[str, Any], time_cell: Any, before: int,
               stores: dict[str, Store], zones: dict[str, ZoneInfo], default_tz: ZoneInfo,
               times: dict, now: dt.datetime, actor: Actor) -> None:
    errors = checked.errors
    code = values.get("store_code", "")
    store = stores.get(code) if code else None
    if code and store is None:
        errors.append(RowError(line, "store_code", f"门店编码 {code} 不存在或不在你的管理范围内"))
    elif not code and actor.scoped and "store_code" in values:
        errors.append(RowError(line, "store_code", "缺少门店编码（只能导入你管理的门店的交易）"))
    occurred = _occurred_at(time_cell, zones.get(code, default_tz), times, now)
    if isinstance(occurred, str):
        errors.append(RowError(line, "occurred_at", occurred))
    if "amount" in values and "quantity" in values:
        try:
            fields.check_signs(values["amount"], values["quantity"])
        except fields.BadValue as exc:
            errors.append(RowError(line, "quantity", str(exc)))
    if len(errors) > before:
        return
    assert isinstance(occurred, dt.datetime)
    external_id, order_no = values["external_id"], values["order_no"]
    if order_no and not _same_order_member(checked, line, code, order_no, external_id):
        return
    _keep(checked, line, values, occurred, store)


def _occurred_at(cell: Any, tz: ZoneInfo, times: dict, now: dt.datetime) -> dt.datetime | str:
    """Parsed once per distinct cell value and zone: history files repeat the same dates on many rows."""
    try:
        key = (cell, tz.key)
        known = times.get(key)
    except TypeError:  # an unhashable cell: parse it every time
        key, known = None, None
    if known is None:
        try:
            known = fields.parse_occurred_at(cell, tz, now)
        except fields.BadValue as exc:
            known = str(exc)
        if key is not None:
            times[key] = known
    return known


def _same_order_member(checked: _Checked, line: int, code: str, order_no: str, external_id: str) -> bool:
    seen = checked.orders.setdefault((code, order_no), (external_id, line))
    if seen[0] != external_id:
        checked.errors.append(RowError(line, "order_no", f"订单号 {order_no} 在第 {seen[1]} 行属于会员 {seen[0]}，"
                                                         f"此行却是会员 {external_id}"))
        return False
    return True


def _keep(checked: _Checked, line: int, values: dict[str, Any], occurred: dt.datetime, store: Store | None) -> None:
    external_id, amount, quantity = values["external_id"], values["amount"], values["quantity"]
    code, order_no, sku = values["store_code"], values["order_no"], values["sku"]
    if order_no:
        key = "\x1f".join(("o", code, order_no, sku, "-" if amount < 0 else "+"))
    else:
        key = "\x1f".join(("h", external_id, occurred.isoformat(), str(amount), str(quantity), code, sku))
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    occurrence = checked.occurrences.get(digest, 0) + 1
    checked.occurrences[digest] = occurrence
    ref = f"{key[0]}:{digest.hex()}:{occurrence}"
    store_id = store.pk if store else None
    checked.rows.append(Row(line, external_id, occurred, amount, quantity, order_no, store_id, sku, ref))
    first = checked.first_seen.get(external_id)
    if first is None:
        checked.first_seen[external_id] = NewImportedMember(line=line, joined_at=occurred, store_id=store_id)
    else:
        if occurred < first.joined_at:
            first.joined_at = occurred
        if first.store_id is None:
            first.store_id = store_id


def _resolve_and_write(checked: _Checked, result: ImportResult, *, actor: Actor, create: bool, dry_run: bool,
                       file_name: str, progress: Progress | None, work: int) -> ImportResult:
    with transaction.atomic():
        known = existing_members(list(checked.first_seen))
        new = {ext: m for ext, m in checked.first_seen.items() if ext not in known}
        if new and not create:
            result.errors = [RowError(row.line, "external_id", f"会员编号 {row.external_id} 不存在"
                                                               "（不自动创建会员时，请先导入会员）")
                             for row in checked.rows if row.external_id in new]
            return result
        done = set(existing_refs([row.source_ref for row in checked.rows]))
        fresh = [row for row in checked.rows if row.source_ref not in done] if done else checked.rows
        result.members_created = len(new)
        result.skipped_existing = len(checked.rows) - len(fresh)
        result.created = len(fresh)
        if dry_run:
            return result
        _write(checked, fresh, known, new, result, actor=actor, file_name=file_name, progress=progress, work=work)
    return result


def _write(checked: _Checked, fresh: list[Row], known: dict[str, int], new: dict[str, NewImportedMember],
           result: ImportResult, *, actor: Actor, file_name: str, progress: Progress | None, work: int) -> None:
    now = clock.now()
    written = result.rows + result.skipped_existing

    def on_batch(count: int) -> None:
        nonlocal written
        written += count
        if progress:
            progress(written, work)

    # one order for every import: concurrent imports of overlapping files wait for each other, never deadlock
    fresh.sort(key=attrgetter("source_ref"))
    member_ids = dict(known)
    if new:
        member_ids.update(create_members(new, actor=actor, now=now))
    result.created = insert_transactions(fresh, member_ids, now=now, on_batch=on_batch)
    result.skipped_existing = len(checked.rows) - result.created
    if not result.created and not new:
        return  # the file was imported before: nothing changes, not even the log
    summary = {"file": file_name, "rows": result.rows, "created": result.created,
               "skipped_existing": result.skipped_existing, "members_created": len(new)}
    audit.record(actor, "analytics.transactions_imported", object_type="analytics.transaction", after=summary)
    outbox.emit("analytics.transactions_imported", "transaction", "", **summary)
