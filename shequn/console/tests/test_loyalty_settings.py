import pytest
from django.urls import reverse

from shequn.core.models import AuditEntry
from shequn.loyalty.models import LoyaltyProgram, Tier
from shequn.loyalty.program import program

pytestmark = pytest.mark.django_db
URL = reverse("console:loyalty_settings")


def tier_post(tiers, **changes):
    """The tier formset as the page posts it, with {"silver": {"min_spend_fen": "2000"}} changes."""
    data = {"action": "tiers", "tiers-TOTAL_FORMS": str(len(tiers)), "tiers-INITIAL_FORMS": str(len(tiers)),
            "tiers-MIN_NUM_FORMS": "0", "tiers-MAX_NUM_FORMS": "1000"}
    for i, tier in enumerate(Tier.objects.order_by("rank")):
        row = {"id": tier.pk, "name": tier.name,
               "min_spend_fen": "" if tier.min_spend_fen is None else str(tier.min_spend_fen / 100),
               "min_orders": tier.min_orders or "", "min_growth": tier.min_growth or "",
               "discount_permille": tier.discount_permille, "points_multiplier_pct": tier.points_multiplier_pct,
               "birthday_gift": tier.birthday_gift, "birthday_points": tier.birthday_points}
        if tier.exclusive_service:
            row["exclusive_service"] = "on"
        row.update(changes.get(tier.code, {}))
        for key, value in row.items():
            if value is not None:
                data[f"tiers-{i}-{key}"] = value
    return data


def program_post(**changes):
    prog = program()
    data = {"action": "program", "points_per_yuan": prog.points_per_yuan, "expiry_policy": prog.expiry_policy,
            "expiry_days": prog.expiry_days, "checkin_points": prog.checkin_points,
            "checkin_streak_bonus": "3:5, 7:20", "share_points": prog.share_points,
            "share_daily_cap": prog.share_daily_cap, "member_day_weekday": "",
            "member_day_of_month": prog.member_day_of_month or "",
            "member_day_multiplier_pct": prog.member_day_multiplier_pct,
            "birthday_month_multiplier_pct": prog.birthday_month_multiplier_pct,
            "growth_per_yuan": prog.growth_per_yuan, "tier_window_days": prog.tier_window_days,
            "downgrade_grace_days": prog.downgrade_grace_days,
            "points_per_yuan_offset": prog.points_per_yuan_offset, "offset_cap_pct": prog.offset_cap_pct}
    data.update(changes)
    return data


def test_page_shows_spend_thresholds_in_yuan(owner, tiers):
    html = owner.get(URL).content.decode()
    assert 'value="1000.00"' in html  # silver: 100,000 fen
    assert "银卡会员" in html and "保存积分规则" in html


def test_edit_tier_threshold_in_yuan_stores_fen_and_audits(owner, tiers):
    r = owner.post(URL, tier_post(tiers, silver={"min_spend_fen": "1,500.50", "name": "银卡"}))
    assert r.status_code == 302
    silver = Tier.objects.get(code="silver")
    assert (silver.min_spend_fen, silver.name) == (150_050, "银卡")
    entry = AuditEntry.objects.get(action="loyalty.tier_updated")
    assert entry.before == {"name": "银卡会员", "min_spend_fen": 100_000}
    assert entry.after == {"name": "银卡", "min_spend_fen": 150_050}
    assert AuditEntry.objects.filter(action="loyalty.tier_updated").count() == 1  # unchanged tiers not audited


@pytest.mark.parametrize("changes,message", [
    ({"silver": {"min_spend_fen": "abc"}}, "金额格式不对"),
    ({"silver": {"min_spend_fen": "-5"}}, "金额不能是负数"),
    ({"silver": {"min_spend_fen": "1.234"}}, "金额格式不对"),
    ({"gold": {"min_spend_fen": "500"}}, "「金卡会员」的近12个月消费门槛应高于「银卡会员」"),
    ({"silver": {"min_spend_fen": "", "min_orders": "", "min_growth": ""}}, "「银卡会员」至少要设置一个门槛"),
    ({"silver": {"min_spend_fen": "", "min_orders": "0", "min_growth": ""}}, "「银卡会员」的订单数门槛不能为 0"),
    ({"diamond": {"min_spend_fen": "99999999999"}}, "金额太大"),
    ({"gold": {"discount_permille": "1200"}}, "折扣‰不能大于 1,000"),
    ({"gold": {"name": ""}}, "请填写等级名称"),
])
def test_bad_tier_input_is_readable_and_writes_nothing(owner, tiers, changes, message):
    before = list(Tier.objects.order_by("rank").values())
    r = owner.post(URL, tier_post(tiers, **changes))
    assert r.status_code == 200
    assert message in r.content.decode()
    assert list(Tier.objects.order_by("rank").values()) == before
    assert not AuditEntry.objects.filter(action__startswith="loyalty.").exists()


def test_add_a_tier_above_the_top(owner, tiers):
    data = {"action": "new_tier", "new-code": "black", "new-name": "黑金会员", "new-min_spend_fen": "50000",
            "new-discount_permille": "850", "new-points_multiplier_pct": "300", "new-birthday_points": "1000"}
    assert owner.post(URL, data).status_code == 302
    black = Tier.objects.get(code="black")
    assert (black.rank, black.min_spend_fen) == (4, 5_000_000)
    assert AuditEntry.objects.filter(action="loyalty.tier_created", object_id=str(black.pk)).exists()


def test_new_tier_must_be_above_the_top_tier(owner, tiers):
    data = {"action": "new_tier", "new-code": "black", "new-name": "黑金会员", "new-min_spend_fen": "100",
            "new-discount_permille": "850", "new-points_multiplier_pct": "300", "new-birthday_points": "0"}
    r = owner.post(URL, data)
    assert "「黑金会员」的近12个月消费门槛应高于「钻石会员」" in r.content.decode()
    assert not Tier.objects.filter(code="black").exists()


def test_new_tier_code_must_be_free(owner, tiers):
    data = {"action": "new_tier", "new-code": "gold", "new-name": "金卡2", "new-min_spend_fen": "90000",
            "new-discount_permille": "850", "new-points_multiplier_pct": "300", "new-birthday_points": "0"}
    r = owner.post(URL, data)
    assert r.status_code == 200 and "这个代码已经被其他等级使用。" in r.content.decode()
    assert Tier.objects.count() == 4


def test_edit_program_rules_and_audit(owner, tiers):
    r = owner.post(URL, program_post(points_per_yuan="2", checkin_streak_bonus="3：10，7:30",
                                     member_day_weekday="2", expiry_policy="rolling_days", expiry_days="180"))
    assert r.status_code == 302
    prog = LoyaltyProgram.objects.get(pk=1)
    assert prog.points_per_yuan == 2 and prog.checkin_streak_bonus == {"3": 10, "7": 30}
    assert prog.member_day_weekday == 2 and prog.expiry_policy == "rolling_days" and prog.expiry_days == 180
    entry = AuditEntry.objects.get(action="loyalty.program_updated")
    assert entry.before["points_per_yuan"] == 1 and entry.after["points_per_yuan"] == 2


@pytest.mark.parametrize("changes,message", [
    ({"checkin_streak_bonus": "3=5"}, "“3=5”格式不对"),
    ({"checkin_streak_bonus": "400:5"}, "天数应在 1 到 365 之间"),
    ({"checkin_streak_bonus": "3:5, 3:6"}, "第 3 天重复设置了奖励"),
    ({"points_per_yuan": "-1"}, "每消费 1 元得积分不能小于 0"),
    ({"offset_cap_pct": "150"}, "积分抵现上限%不能大于 100"),
    ({"member_day_of_month": "32"}, "不能大于 31"),
    ({"expiry_policy": "sometimes"}, "请从列表中选择积分有效期"),
    ({"member_day_weekday": "9"}, "请从列表中选择会员日"),
])
def test_bad_program_input_is_readable_and_writes_nothing(owner, tiers, changes, message):
    program()
    before = LoyaltyProgram.objects.filter(pk=1).values().first()
    r = owner.post(URL, program_post(**changes))
    assert r.status_code == 200
    assert message in r.content.decode()
    after = LoyaltyProgram.objects.filter(pk=1).values().first()
    assert after == before


def test_roles_without_configure_see_read_only_and_get_403(console_as, tiers, store):
    client = console_as("store_manager", stores=["SH01"])
    r = client.get(URL)
    html = r.content.decode()
    assert r.status_code == 200 and "你的角色只能查看规则" in html
    assert "保存等级" not in html and "disabled" in html
    r = client.post(URL, tier_post(tiers, silver={"min_spend_fen": "1"}))
    assert r.status_code == 403
    assert Tier.objects.get(code="silver").min_spend_fen == 100_000
