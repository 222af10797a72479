"""Recommendations: exact co-purchase neighbours, member picks, popularity fallback, baskets from the database."""

from datetime import UTC, date, datetime, timedelta

import pytest

from shequn.analytics.models import Transaction
from shequn.analytics.recommend import Basket, Recommender, bought_together, for_member, load_baskets
from shequn.commerce import catalog, orders, payments, refunds, stock
from shequn.core.errors import NotFound, ValidationProblem

DAY = date(2026, 3, 1)


def baskets(*rows):
    """rows: (member_id, day offset, "ABC")."""
    return [Basket(member, DAY + timedelta(days=offset), frozenset(items)) for member, offset, items in rows]


FIVE = baskets((1, 0, "ABC"), (2, 1, "AB"), (3, 2, "AC"), (4, 3, "BD"), (5, 4, "ABD"))


def picks(result):
    return [(p.sku, round(p.score, 4), p.source) for p in result]


def test_bought_together_is_cosine_over_pairs_with_enough_support():
    model = Recommender(FIVE)  # counts A4 B4 C2 D2; pairs AB3 AC2 BD2, AD1 BC1 below support 2
    assert picks(model.bought_together("A")) == [("B", 0.75, "together"), ("C", 0.7071, "together")]
    assert picks(model.bought_together("B")) == [("A", 0.75, "together"), ("D", 0.7071, "together")]
    assert picks(model.bought_together("C")) == [("A", 0.7071, "together")]
    assert picks(model.bought_together("A", k=1)) == [("B", 0.75, "together")]
    assert picks(Recommender(FIVE, min_support=1).bought_together("A")) == [
        ("B", 0.75, "together"), ("C", 0.7071, "together"), ("D", 0.3536, "together")]
    assert model.bought_together("never-sold") == []


@pytest.mark.parametrize("k", [0, -1, 2.5, "3"])
def test_bad_k_is_refused(k):
    with pytest.raises(ValidationProblem) as caught:
        Recommender(FIVE).bought_together("A", k)
    assert caught.value.type == "bad-k"
    with pytest.raises(ValidationProblem):
        Recommender(FIVE).for_member(1, k)


def test_bad_min_support_is_refused():
    with pytest.raises(ValidationProblem):
        Recommender(FIVE, min_support=0)


def test_member_gets_partners_of_recent_items_without_what_they_just_bought_then_popular():
    model = Recommender(FIVE)
    # member 3 bought A and C: B partners A (0.75); C-B and C-D lack support; D comes from popularity
    assert picks(model.for_member(3, k=3)) == [("B", 0.75, "together"), ("D", 2.0, "popular")]


def test_rebought_items_stay_eligible():
    model = Recommender([*FIVE, *baskets((3, 5, "C"))])  # member 3 buys C again: half of C's buyers repeat
    assert model.repeatable == {"C"}
    assert picks(model.for_member(3, k=3)) == [
        ("B", 0.75, "together"), ("C", round(2 / 12 ** 0.5, 4), "together"), ("D", 2.0, "popular")]


def test_member_without_history_gets_the_popular_items():
    assert picks(Recommender(FIVE).for_member(99, k=3)) == [
        ("A", 4.0, "popular"), ("B", 4.0, "popular"), ("C", 2.0, "popular")]


def test_popularity_counts_the_last_90_days_first_then_all_time():
    old = baskets((1, -200, "E"), (2, -200, "E"), (3, -200, "E"), (4, 0, "F"), (5, 0, "G"), (6, 0, "G"))
    assert [p.sku for p in Recommender(old).popular_items(3)] == ["G", "F", "E"]


def test_as_of_sees_only_earlier_baskets():
    model = Recommender(FIVE, as_of=DAY + timedelta(days=4))  # basket 5 (A B D) is not seen
    assert picks(model.bought_together("B")) == [("A", round(2 / 3, 4), "together")]  # A3 B3 AB2; BD1 too few
    assert model.for_member(5, k=1)[0].source == "popular"


def test_no_baskets_at_all_gives_empty_lists():
    model = Recommender([])
    assert model.bought_together("A") == [] and model.for_member(1) == []


# --- baskets from the database -------------------------------------------------------------------------------


def _paid(actor, member, store, items):
    order = orders.place_order(actor, member=member, items=items, fulfilment="pickup", store=store)
    payments.start_payment(actor, order, "offline")
    order.refresh_from_db()
    return order


@pytest.fixture
def shop(system_actor, store):
    for code, name in (("EGG", "土鸡蛋"), ("MILK", "鲜牛奶"), ("BREAD", "全麦面包")):
        sku = catalog.create_product(system_actor, name=name, skus=[{"code": code, "price_fen": 1000}]).skus.get()
        stock.receive(system_actor, sku, store, 50)


@pytest.mark.django_db
def test_baskets_are_paid_order_lines_without_refunded_lines_plus_imported_rows_with_a_sku(
        system_actor, store, make_member, shop):
    alice, bob = make_member(store), make_member(store)
    first = _paid(system_actor, alice, store, [{"sku": "EGG", "quantity": 1}, {"sku": "MILK", "quantity": 2}])
    refunds.refund_order(system_actor, first, reason="坏了", lines=[{"sku": "MILK", "quantity": 2}])
    _paid(system_actor, alice, store, [{"sku": "EGG", "quantity": 1}, {"sku": "BREAD", "quantity": 1}])
    orders.place_order(system_actor, member=bob, items=[{"sku": "BREAD", "quantity": 1}], fulfilment="pickup",
                       store=store)  # never paid
    at = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 01:00 on 2 March in Shanghai
    rows = [("", at, "TEA", 500), ("", at + timedelta(hours=2), "CUP", 300), ("N-9", at, "PEN", 200),
            ("N-9", at, "INK", 100), ("", at, "", 900), ("", at, "TEA", -500)]
    for n, (order_no, occurred_at, sku, amount) in enumerate(rows):
        Transaction.objects.create(member=bob, occurred_at=occurred_at, amount_fen=amount, order_no=order_no,
                                   sku=sku, source="import", source_ref=f"r{n}")
    found = {(b.member_id, b.items, b.day) for b in load_baskets()}
    today = {b.day for b in load_baskets() if b.member_id == alice.pk}
    assert {(m, items) for m, items, _ in found} == {
        (alice.pk, frozenset({"EGG"})), (alice.pk, frozenset({"EGG", "BREAD"})),
        (bob.pk, frozenset({"TEA", "CUP"})), (bob.pk, frozenset({"PEN", "INK"}))}
    assert len(today) == 1
    assert {day for m, _, day in found if m == bob.pk} == {date(2026, 3, 2)}


@pytest.mark.django_db
def test_module_functions_read_the_database(system_actor, store, make_member, shop):
    alice, bob, carol = make_member(store), make_member(store), make_member(store)
    for member in (alice, bob):
        _paid(system_actor, member, store, [{"sku": "EGG", "quantity": 1}, {"sku": "MILK", "quantity": 1}])
    _paid(system_actor, carol, store, [{"sku": "EGG", "quantity": 1}])
    assert [p.sku for p in bought_together("EGG")] == ["MILK"]
    # EGG was just bought and is not a re-bought item; BREAD was never sold, so nothing else fills the list
    assert [(p.sku, p.source) for p in for_member(carol.pk, k=2)] == [("MILK", "together")]
    with pytest.raises(NotFound):
        for_member(10 ** 9)
