"""会员导入: import members from a CSV or XLSX file, all or nothing.

Every row is checked first (phone, duplicates in the file and in the database, dates,
store codes, gender); any bad row means nothing is written and every problem is
reported with its line number. A clean file is written in bulk in one transaction,
with one audit entry and one `members.imported` event for the whole file."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shequn.core import audit, outbox, pii
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.stores.models import Store
from shequn.stores.selectors import stores_visible_to

from . import import_fields as fields
from .import_read import UnreadableFile, read_table
from .import_write import NewMember, write_members
from .models import Member

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000
LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit


@dataclass(frozen=True)
class RowError:
    """One problem: `line` as a person sees it in the file (header = 1; 0 = the whole file)."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.line} 行：{self.message}" if self.line else self.message


@dataclass
class ImportResult:
    total: int = 0  # data rows in the file
    created: int = 0  # members written (in a dry run: that would be written)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rows:
    """Validation state: what has been seen so far and what went wrong."""

    def __init__(self) -> None:
        self.valid: list[NewMember] = []
        self.errors: list[RowError] = []
        self.phone_lines: dict[str, int] = {}
        self.phone_hashes: dict[str, str] = {}  # keyed hash -> phone, for the database check
        self.external_lines: dict[str, int] = {}

    def error(self, line: int, field_name: str, message: str) -> None:
        self.errors.append(RowError(line, field_name, message))


def import_members(path: Path, *, store_code: str | None = None, dry_run: bool = False, actor: Actor,
                   progress: Progress | None = None, file_name: str | None = None) -> ImportResult:
    """Check every row of `path`, then (unless dry_run or any row is bad) create the members.

    `store_code` is the home store for rows without one. `progress(done, total)` is called
    about every 1000 rows; `total` covers checking and, unless dry_run, writing."""
    if not actor.can("members.import"):
        raise PermissionDenied("Your role may not import members.", type="import-denied")
    result = ImportResult(dry_run=dry_run)
    name = file_name or Path(path).name
    try:
        table = read_table(Path(path))
    except UnreadableFile as exc:
        result.errors.append(RowError(0, "", str(exc)))
        return result
    except OSError as exc:
        result.errors.append(RowError(0, "", f"无法读取文件 {name}：{exc.strerror or exc}"))
        return result
    result.total = len(table.rows)
    columns, problems = fields.map_header(table.header)
    stores = {s.code: s for s in stores_visible_to(actor)}
    default_store, file_errors = _check_file(table.header_line, columns, problems, result.total, store_code,
                                             stores, actor)
    if file_errors:
        result.errors = file_errors
        return result

    work = result.total * (1 if dry_run else 2)
    state = _validate(table.rows, columns, stores, default_store, actor, progress, work)
    _check_database(state)
    if state.errors:
        result.errors = sorted(state.errors, key=lambda e: (e.line, e.field))
        return result
    if dry_run:
        result.created = len(state.valid)
        return result
    try:
        result.created = _write(state.valid, actor=actor, file_name=name, default_store=default_store,
                                progress=progress, work=work)
    except IntegrityError:
        result.errors.append(RowError(0, "", "导入期间有相同手机号或会员编号的会员被添加，未导入任何数据；请重新导入"))
    return result


def _check_file(header_line: int, columns: dict[str, int], problems: list[str], total: int,
                store_code: str | None, stores: dict[str, Store], actor: Actor
                ) -> tuple[Store | None, list[RowError]]:
    errors = [RowError(header_line, "", p) for p in problems]
    if "phone" not in columns and "external_id" not in columns:
        errors.append(RowError(header_line, "phone", "表头缺少“手机号”列（phone/手机号），也没有“会员编号”列"
                                                   "（external_id/会员编号）；至少需要其中一列"))
    default_store = None
    if store_code:
        default_store = stores.get(store_code.strip())
        if default_store is None:
            errors.append(RowError(0, "store_code", f"门店编码 {store_code} 不存在或不在你的管理范围内"))
    elif actor.scoped and "store_code" not in columns:
        errors.append(RowError(header_line, "store_code",
                               "请指定导入到哪个门店（--store 门店编码，或在文件中加“门店编码”列）"))
    if not errors and total == 0:
        errors.append(RowError(0, "", "文件只有表头，没有会员数据"))
    return default_store, errors


def _cell(cells: list[Any], columns: dict[str, int], name: str) -> Any:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _validate(rows: list[tuple[int, list[Any]]], columns: dict[str, int], stores: dict[str, Store],
              default_store: Store | None, actor: Actor, progress: Progress | None, work: int) -> _Rows:
    state = _Rows()
    today = timezone.localdate()
    for done, (line, cells) in enumerate(rows, start=1):
        _validate_row(state, line, cells, columns, stores, default_store, actor, today)
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, work)
    if progress:
        progress(len(rows), work)
    return state


def _validate_row(state: _Rows, line: int, cells: list[Any], columns: dict[str, int],
                  stores: dict[str, Store], default_store: Store | None, actor: Actor,
                  today: dt.date) -> None:
    before = len(state.errors)
    parsed: dict[str, Any] = {}
    parsers = {"phone": fields.parse_phone, "name": fields.parse_name, "gender": fields.parse_gender,
               "tags": fields.parse_tags, "external_id": fields.parse_external_id,
               "birthday": lambda v: fields.parse_date(v, today)}
    for name, parse in parsers.items():
        try:
            parsed[name] = parse(_cell(cells, columns, name))
        except fields.BadValue as exc:
            state.error(line, name, str(exc))
            parsed[name] = None
    phone, external_id = parsed["phone"], parsed["external_id"]
    if phone is None and external_id is None and "phone" not in {e.field for e in state.errors[before:]}:
        state.error(line, "phone", "缺少手机号（没有手机号时需要会员编号）")
    if phone is not None:
        if phone in state.phone_lines:
            state.error(line, "phone", f"手机号 {phone} 与第 {state.phone_lines[phone]} 行重复")
        else:
            state.phone_lines[phone] = line
            state.phone_hashes[pii.blind_index(phone)] = phone
    if external_id is not None:
        if external_id in state.external_lines:
            state.error(line, "external_id",
                        f"会员编号 {external_id} 与第 {state.external_lines[external_id]} 行重复")
        else:
            state.external_lines[external_id] = line
    store = _row_store(state, line, fields.text(_cell(cells, columns, "store_code")), stores,
                       default_store, actor)
    if len(state.errors) > before:
        return
    state.valid.append(NewMember(
        line=line, phone=phone, name=parsed["name"],
        birthday=parsed["birthday"], gender=parsed["gender"], store_id=store.pk if store else None,
        external_id=external_id, tags=parsed["tags"]))


def _row_store(state: _Rows, line: int, code: str, stores: dict[str, Store], default_store: Store | None,
               actor: Actor) -> Store | None:
    if not code:
        if default_store is None and actor.scoped:
            state.error(line, "store_code", "缺少门店编码")
        return default_store
    store = stores.get(code)
    if store is None:
        state.error(line, "store_code", f"门店编码 {code} 不存在或不在你的管理范围内")
    return store


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _check_database(state: _Rows) -> None:
    """Phones (by keyed hash) and external ids that already belong to a member."""
    taken: set[str] = set()
    for chunk in _chunks(list(state.phone_hashes)):
        taken.update(Member.objects.filter(phone_hash__in=chunk).values_list("phone_hash", flat=True))
    bad_lines = set()
    for phone_hash in taken:
        phone = state.phone_hashes[phone_hash]
        line = state.phone_lines[phone]
        state.error(line, "phone", f"手机号 {phone} 已是会员（数据库中已存在）")
        bad_lines.add(line)
    external = list(state.external_lines)
    for chunk in _chunks(external):
        for ext in Member.objects.filter(external_id__in=chunk).values_list("external_id", flat=True):
            line = state.external_lines[ext]
            state.error(line, "external_id", f"会员编号 {ext} 已存在（数据库中已有该会员）")
            bad_lines.add(line)
    if bad_lines:
        state.valid = [row for row in state.valid if row.line not in bad_lines]


def _write(rows: list[NewMember], *, actor: Actor, file_name: str, default_store: Store | None,
           progress: Progress | None, work: int) -> int:
    done = len(rows)

    def on_batch(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, work)

    with transaction.atomic():
        members = write_members(rows, actor=actor, now=timezone.now(), on_batch=on_batch)
        summary = {"count": len(members), "file": file_name,
                   "store": default_store.code if default_store else None,
                   "first_member_no": members[0][0], "last_member_no": members[-1][0]}
        audit.record(actor, "members.imported", object_type="member", after=summary,
                     store_id=default_store.pk if default_store else None)
        outbox.emit("members.imported", "member", "", **summary)
    return len(members)
