"""Recommendations (商品推荐): frequently bought together (经常一起购买) and next products for a member (猜你喜欢).

Items are SKU codes: the only identifier native order lines and imported purchase history share. A basket
(购物篮) is one paid order's lines that were not fully refunded, or, for imported history, the rows of one member
with the same order number (the same local day when there is none). Co-purchase strength is the cosine of the
two items' basket vectors, co(i, j) / sqrt(n_i · n_j), counted only when the pair shares at least `min_support`
baskets. Results are computed on demand from the database; nothing is stored.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import F
from scipy import sparse

from shequn.core import clock
from shequn.core.errors import NotFound, ValidationProblem

POPULAR_DAYS = 90  # popularity fallback window (热销)
RECENT_BASKETS = 5  # a member's "recent items" are those of their last five baskets
REPEAT_RATE = 0.2  # an item is re-bought (复购品) when ≥ 20% of its buyers bought it in two or more baskets


@dataclass(frozen=True)
class Basket:
    member_id: int
    day: date  # local calendar day
    items: frozenset[str]


@dataclass(frozen=True)
class Pick:
    """One recommended item; `source` is "together" (co-purchase) or "popular" (fallback)."""

    sku: str
    score: float
    source: str


def load_baskets() -> list[Basket]:
    """Every purchase basket: native paid order lines (refunded lines left out) + imported rows with a SKU."""
    from shequn.analytics.models import Transaction
    from shequn.commerce.models import Order, OrderLine

    zone = ZoneInfo(settings.TIME_ZONE)
    grouped: dict[tuple, set[str]] = defaultdict(set)
    days: dict[tuple, date] = {}
    lines = (OrderLine.objects.filter(order__paid_at__isnull=False, quantity__gt=F("refunded_quantity"))
             .exclude(order__status=Order.Status.CANCELLED)
             .values_list("order__order_no", "order__member_id", "order__paid_at", "sku__code"))
    for order_no, member_id, paid_at, code in lines.iterator(chunk_size=5000):
        key = ("order", member_id, order_no)
        grouped[key].add(code)
        days[key] = paid_at.astimezone(zone).date()
    imported = (Transaction.objects.filter(source=Transaction.Source.IMPORT, amount_fen__gt=0).exclude(sku="")
                .values_list("member_id", "order_no", "occurred_at", "sku"))
    for member_id, order_no, occurred_at, sku in imported.iterator(chunk_size=5000):
        day = occurred_at.astimezone(zone).date()
        key = ("import", member_id, order_no or day.isoformat())
        grouped[key].add(sku)
        days[key] = min(days.get(key, day), day)
    return [Basket(key[1], days[key], frozenset(items)) for key, items in grouped.items()]


class Recommender:
    """Co-purchase model over the baskets strictly before `as_of` (all baskets when None)."""

    def __init__(self, baskets: list[Basket], *, as_of: date | None = None, min_support: int = 2,
                 popular_days: int = POPULAR_DAYS, repeat_rate: float = REPEAT_RATE) -> None:
        if min_support < 1:
            raise ValidationProblem("min_support must be at least 1", type="bad-min-support")
        seen = sorted((b for b in baskets if as_of is None or b.day < as_of), key=lambda b: b.day)
        self.as_of = as_of or (seen[-1].day + timedelta(days=1) if seen else clock.local_date())
        self.items = sorted({item for b in seen for item in b.items})
        self.index = {item: i for i, item in enumerate(self.items)}
        self._history: dict[int, list[Basket]] = defaultdict(list)
        for basket in seen:
            self._history[basket.member_id].append(basket)
        self._build(seen, min_support, popular_days, repeat_rate)

    def _build(self, seen: list[Basket], min_support: int, popular_days: int, repeat_rate: float) -> None:
        n = len(self.items)
        rows = [r for r, b in enumerate(seen) for _ in b.items]
        cols = [self.index[item] for b in seen for item in b.items]
        matrix = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(seen), n))
        counts = np.asarray(matrix.sum(axis=0)).ravel()
        co = (matrix.T @ matrix).tocoo()
        keep = (co.row != co.col) & (co.data >= min_support)
        row, col, data = co.row[keep], co.col[keep], co.data[keep]
        self.similarity = sparse.csr_matrix((data / np.sqrt(counts[row] * counts[col]), (row, col)), shape=(n, n))
        self._popularity(seen, popular_days)
        self._repeatable(repeat_rate)

    def _popularity(self, seen: list[Basket], popular_days: int) -> None:
        """Distinct buyers in the last `popular_days` before as_of, then over all time; ties by SKU code."""
        since = self.as_of - timedelta(days=popular_days)
        recent: dict[str, set[int]] = defaultdict(set)
        ever: dict[str, set[int]] = defaultdict(set)
        for basket in seen:
            for item in basket.items:
                ever[item].add(basket.member_id)
                if basket.day >= since:
                    recent[item].add(basket.member_id)
        self.popular = sorted(self.items, key=lambda i: (-len(recent[i]), -len(ever[i]), i))
        self._popular_score = {i: float(len(recent[i])) for i in self.items}

    def _repeatable(self, repeat_rate: float) -> None:
        baskets_per_buyer: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for member_id, history in self._history.items():
            for basket in history:
                for item in basket.items:
                    baskets_per_buyer[item][member_id] += 1
        self.repeatable = {item for item, buyers in baskets_per_buyer.items()
                           if sum(1 for c in buyers.values() if c >= 2) >= repeat_rate * len(buyers)}

    def bought_together(self, sku: str, k: int = 10) -> list[Pick]:
        """Items most often in the same basket as `sku`, strongest first (empty when it has no partners)."""
        _check_k(k)
        if sku not in self.index:
            return []
        row = self.similarity.getrow(self.index[sku])
        ranked = sorted(zip(row.indices, row.data, strict=True), key=lambda p: (-p[1], self.items[p[0]]))
        return [Pick(self.items[i], float(s), "together") for i, s in ranked[:k]]

    def recent_items(self, member_id: int) -> set[str]:
        return {item for b in self._history.get(member_id, [])[-RECENT_BASKETS:] for item in b.items}

    def for_member(self, member_id: int, k: int = 10) -> list[Pick]:
        """Items co-purchased with the member's recent items; recently bought items are left out unless they
        are re-bought items (consumables). Popular items fill the list up to k."""
        _check_k(k)
        recent = self.recent_items(member_id)
        excluded = recent - self.repeatable
        picks: list[Pick] = []
        if recent:
            scores = np.asarray(self.similarity[sorted(self.index[i] for i in recent)].sum(axis=0)).ravel()
            scores[[self.index[i] for i in excluded]] = 0.0
            candidates = np.flatnonzero(scores > 0)
            # items are sorted by code, so the index breaks ties by SKU code
            top = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
            picks = [Pick(self.items[i], float(scores[i]), "together") for i in top]
        chosen = {p.sku for p in picks} | excluded
        for item in self.popular:
            if len(picks) >= k:
                break
            if item not in chosen:
                picks.append(Pick(item, self._popular_score[item], "popular"))
        return picks

    def popular_items(self, k: int = 10) -> list[Pick]:
        _check_k(k)
        return [Pick(item, self._popular_score[item], "popular") for item in self.popular[:k]]


def _check_k(k: int) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValidationProblem(f"k must be a positive whole number, not {k!r}", type="bad-k")


def bought_together(sku: str, k: int = 10) -> list[Pick]:
    """经常一起购买: the k items most often bought with `sku`, over every basket."""
    return Recommender(load_baskets()).bought_together(sku, k)


def for_member(member_id: int, k: int = 10, as_of: date | None = None) -> list[Pick]:
    """猜你喜欢: k next products for a member, seeing only baskets before `as_of` (all when None)."""
    from shequn.members.models import Member

    if not Member.objects.filter(pk=member_id).exists():
        raise NotFound(f"No member with id {member_id}", type="member-not-found")
    return Recommender(load_baskets(), as_of=as_of).for_member(member_id, k)
