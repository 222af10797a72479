"""对照组 split: deterministic, exactly the asked share, independent of the order members are listed in."""

from shequn.analytics import holdouts


def test_split_is_deterministic_and_of_the_right_size():
    ids = list(range(1000, 1997))
    treated, out = holdouts.split(ids, 10, "coupon:1:a")
    assert len(out) == 100 and len(treated) == 897 and not set(out) & set(treated)
    assert holdouts.split(list(reversed(ids)), 10, "coupon:1:a") == (treated, out)
    assert holdouts.split(ids, 10, "coupon:1:b")[1] != out  # another batch, another draw
    # Nobody is favoured by id: the held-out ids spread over the whole range.
    assert min(out) < 1200 and max(out) > 1800


def test_held_out_count_rounds_half_up():
    assert [holdouts.held_out_count(n, p) for n, p in ((10, 25), (10, 15), (3, 50), (1, 50), (0, 20), (7, 0))] \
        == [3, 2, 2, 1, 0, 0]
    for n in range(0, 60):
        for p in (1, 5, 10, 33, 50):
            assert len(holdouts.split(range(n), p, "s")[1]) == holdouts.held_out_count(n, p)
