"""PostgreSQL, real threads: the same grant with a control group run eight times at once writes one split, and
nobody held out gets a coupon."""

import pytest

from shequn.analytics.models import Holdout, HoldoutAssignment
from shequn.commerce.coupons import services
from shequn.commerce.coupons.models import Coupon
from shequn.core.tests.threads import bulk_members, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_grant_with_holdout_eight_times_at_once(system_actor, store):
    template = services.create_template(system_actor, name="回归礼", kind="fixed", amount_fen=500, valid_days=7)
    members = bulk_members(store, 100, "对照会员")

    results = run_together(8, lambda _: services.grant(system_actor, template.pk, members, ref="并发批次",
                                                        holdout_percent=20), timeout=120)

    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    assert all(r["held_out"] == 20 for r in results)
    assert sum(r["issued"] for r in results) == 80
    assert Holdout.objects.count() == 1 and HoldoutAssignment.objects.count() == 100
    out = set(HoldoutAssignment.objects.filter(held_out=True).values_list("member_id", flat=True))
    assert len(out) == 20 and not Coupon.objects.filter(member_id__in=out).exists()
    assert Coupon.objects.count() == 80 and services.check_coupons() == []
