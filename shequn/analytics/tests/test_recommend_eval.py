"""evaluate-recs: hand-computed precision, recall and hit rate; split defaults and errors."""

from datetime import date, timedelta

import pytest

from shequn.analytics.recommend import Basket
from shequn.analytics.recommend_eval import Scores, as_table, evaluate, score
from shequn.core.errors import ValidationProblem

SPLIT = date(2026, 3, 10)


def basket(member, offset, items):
    return Basket(member, SPLIT + timedelta(days=offset), frozenset(items))


# train: A3 B2 C1 D1 buyers, pair AB twice. test: m1 buys C, m3 buys B and E, m5 (new) buys D.
TINY = [basket(1, -5, "AB"), basket(2, -4, "AB"), basket(3, -3, "AC"), basket(4, -2, "D"),
        basket(1, 0, "C"), basket(3, 1, "BE"), basket(5, 2, "D")]


def test_tiny_set_by_hand():
    # k=2. model: m1 [C, D] (A, B just bought; no partners left) → 1 hit of {C}; m3 [B, D] → 1 of {B, E};
    # m5 [A, B] → 0 of {D}. popularity [A, B]: m1 0, m3 1 (B), m5 0.
    result = evaluate(TINY, SPLIT, k=2)
    assert (result.train_baskets, result.test_members) == (4, 3)
    assert result.model == pytest.approx(Scores(precision=1 / 3, recall=0.5, hit_rate=2 / 3))
    assert result.popularity == pytest.approx(Scores(precision=1 / 6, recall=1 / 6, hit_rate=1 / 3))
    assert result.ratio() == pytest.approx({"precision": 2.0, "recall": 3.0, "hit_rate": 2.0})
    data = result.as_dict()
    assert data["split_date"] == "2026-03-10" and data["k"] == 2 and set(data) >= {"model", "popularity", "ratio"}


def test_precision_divides_by_k_even_when_fewer_are_recommended():
    assert score({1: ["A"]}, {1: {"A", "B"}}, k=10) == Scores(precision=0.1, recall=0.5, hit_rate=1.0)


def test_default_split_keeps_the_last_30_days_for_testing():
    rows = [basket(1, -40, "AB"), basket(2, -40, "AB"), basket(1, 19, "C"), basket(2, 20, "A")]
    result = evaluate(rows)
    assert result.split_date == SPLIT + timedelta(days=20 - 29)
    assert (result.train_baskets, result.test_members) == (2, 2)


def test_zero_baseline_ratio_is_none():
    rows = [basket(1, -1, "A"), basket(2, 0, "Z")]
    result = evaluate(rows, SPLIT)
    assert result.popularity.hit_rate == 0 and result.ratio()["hit_rate"] is None
    assert "-" in as_table(result).splitlines()[-1]


@pytest.mark.parametrize(("rows", "split", "kind"), [
    ([], None, "no-baskets"),
    (TINY, SPLIT - timedelta(days=30), "no-training-baskets"),
    (TINY, SPLIT + timedelta(days=30), "no-test-baskets"),
])
def test_unusable_data_is_a_clear_problem(rows, split, kind):
    with pytest.raises(ValidationProblem) as caught:
        evaluate(rows, split)
    assert caught.value.type == kind


def test_table_shows_both_rows_and_the_ratio():
    text = as_table(evaluate(TINY, SPLIT, k=2))
    assert "precision@2" in text and "recall@2" in text and "hit rate" in text
    lines = text.splitlines()
    assert lines[2].split()[0] == "model" and lines[3].split()[0] == "popularity"
    assert lines[4].split() == ["ratio", "2.00x", "3.00x", "2.00x"]
