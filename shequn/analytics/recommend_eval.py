"""Offline evaluation of recommendations (推荐效果评估) on a time split.

The model and the popularity baseline both see only the baskets before the split date. For every member with a
purchase on or after it, the truth is the set of SKUs they bought then; each method's top-k is scored with
precision@k (hits / k), recall@k (hits / |truth|) and hit rate (at least one hit), averaged over those members.
"""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from shequn.core.errors import ValidationProblem

from .recommend import Basket, Recommender, load_baskets

TEST_DAYS = 30


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    hit_rate: float


@dataclass(frozen=True)
class Evaluation:
    split_date: date
    k: int
    train_baskets: int
    test_members: int
    model: Scores
    popularity: Scores

    def ratio(self) -> dict[str, float | None]:
        """Model ÷ popularity per measure (None when the baseline scored zero)."""
        base, model = asdict(self.popularity), asdict(self.model)
        return {name: (model[name] / base[name] if base[name] else None) for name in base}

    def as_dict(self) -> dict:
        return {"split_date": self.split_date.isoformat(), "k": self.k, "train_baskets": self.train_baskets,
                "test_members": self.test_members, "model": asdict(self.model),
                "popularity": asdict(self.popularity), "ratio": self.ratio()}


def score(lists: dict[int, list[str]], truth: dict[int, set[str]], k: int) -> Scores:
    hits = [len(set(lists[m][:k]) & bought) for m, bought in truth.items()]
    n = len(truth)
    return Scores(precision=sum(h / k for h in hits) / n,
                  recall=sum(h / len(truth[m]) for h, m in zip(hits, truth, strict=True)) / n,
                  hit_rate=sum(1 for h in hits if h) / n)


def evaluate(baskets: list[Basket], split_date: date | None = None, k: int = 10) -> Evaluation:
    if not baskets:
        raise ValidationProblem("There are no purchase baskets to evaluate (no paid orders or imported "
                                "transactions with a SKU).", type="no-baskets")
    last = max(b.day for b in baskets)
    split = split_date or last - timedelta(days=TEST_DAYS - 1)
    train = [b for b in baskets if b.day < split]
    test = [b for b in baskets if b.day >= split]
    if not train:
        raise ValidationProblem(f"No baskets before the split date {split.isoformat()}; choose a later date.",
                                type="no-training-baskets")
    if not test:
        raise ValidationProblem(f"No baskets on or after the split date {split.isoformat()} (last purchase "
                                f"{last.isoformat()}); choose an earlier date.", type="no-test-baskets")
    truth: dict[int, set[str]] = {}
    for basket in test:
        truth.setdefault(basket.member_id, set()).update(basket.items)
    model = Recommender(train, as_of=split)
    popular = [p.sku for p in model.popular_items(k)]
    model_lists = {m: [p.sku for p in model.for_member(m, k)] for m in truth}
    return Evaluation(split_date=split, k=k, train_baskets=len(train), test_members=len(truth),
                      model=score(model_lists, truth, k), popularity=score(dict.fromkeys(truth, popular), truth, k))


def evaluate_from_database(split_date: date | None = None, k: int = 10) -> Evaluation:
    return evaluate(load_baskets(), split_date, k)


def as_table(result: Evaluation) -> str:
    k = result.k
    lines = [f"split date {result.split_date.isoformat()}: {result.train_baskets} training baskets, "
             f"{result.test_members} members with test purchases",
             f"{'method':<12}{f'precision@{k}':>14}{f'recall@{k}':>12}{'hit rate':>10}"]
    for name, s in (("model", result.model), ("popularity", result.popularity)):
        lines.append(f"{name:<12}{s.precision:>14.4f}{s.recall:>12.4f}{s.hit_rate:>10.4f}")
    ratio = result.ratio()
    lines.append(f"{'ratio':<12}" + "".join(
        f"{'-' if ratio[name] is None else f'{ratio[name]:.2f}x':>{width}}"
        for name, width in (("precision", 14), ("recall", 12), ("hit_rate", 10))))
    return "\n".join(lines)
