"""Keyset pagination: cursors walk every row once; a bad cursor is a 422."""

import base64
import json

import pytest

from shequn.core.errors import ValidationProblem
from shequn.core.pagination import MAX_LIMIT, decode_cursor, encode_cursor, paginate
from shequn.stores.models import Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores():
    return [Store.objects.create(code=f"S{n:02d}", name=f"门店{n}") for n in range(7)]


def walk(qs, limit, newest_first=True):
    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = paginate(qs, cursor, limit, newest_first=newest_first)
        seen += [r.pk for r in rows]
        pages += 1
        if cursor is None:
            return seen, pages


def test_walks_every_row_once_newest_first(stores):
    ids = sorted(s.pk for s in stores)
    seen, pages = walk(Store.objects.all(), 3)
    assert seen == ids[::-1] and pages == 3


def test_walks_oldest_first(stores):
    seen, _ = walk(Store.objects.all(), 2, newest_first=False)
    assert seen == sorted(s.pk for s in stores)


def test_no_next_cursor_on_an_exact_last_page(stores):
    rows, cursor = paginate(Store.objects.all(), None, 7)
    assert len(rows) == 7 and cursor is None


def test_limit_is_clamped(stores):
    rows, cursor = paginate(Store.objects.all(), None, 0)
    assert len(rows) == 1 and cursor is not None
    assert MAX_LIMIT == 200


def test_rows_added_while_paging_do_not_shift_pages(stores):
    first, cursor = paginate(Store.objects.all(), None, 3)
    Store.objects.create(code="NEW", name="新店")
    second, _ = paginate(Store.objects.all(), cursor, 3)
    assert not {r.pk for r in first} & {r.pk for r in second}
    assert max(r.pk for r in second) < min(r.pk for r in first)


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor(42)) == 42


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not-a-cursor", "!!!", "é", b64(b"[1]"), b64(b'{"x": 1}'), b64(b'{"id": "abc"}'), b64(b'{"id": null}'),
    b64(b'{"id": 1e400}'), b64(json.dumps({"id": 10**30}).encode()), b64(b'{"id": -5}'), b64(b'{"id": 0}'),
    b64(b"\xff\xfe"),
])
def test_invalid_cursors_are_a_422(cursor):
    with pytest.raises(ValidationProblem) as exc:
        decode_cursor(cursor)
    assert exc.value.status == 422 and exc.value.type == "invalid-cursor"
