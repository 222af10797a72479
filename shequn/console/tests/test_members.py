import pytest
from django.urls import reverse

from shequn.core.actor import SYSTEM
from shequn.core.models import AuditEntry
from shequn.loyalty import services
from shequn.loyalty.models import PointsEntry

pytestmark = pytest.mark.django_db


def detail_url(member):
    return reverse("console:member_detail", args=[member.pk])


def adjust_url(member):
    return reverse("console:member_adjust", args=[member.pk])


def balance(member):
    from shequn.loyalty.models import LoyaltyAccount

    return LoyaltyAccount.objects.get(pk=member.pk).points_balance


def test_list_shows_masked_phone_tier_points_and_store(owner, make_member, store):
    m = make_member(store=store, phone="13912345678", name="王小明")
    r = owner.get(reverse("console:members"))
    html = r.content.decode()
    assert r.status_code == 200
    assert m.member_no in html and "王小明" in html
    assert "139****5678" in html and "13912345678" not in html
    assert "普通会员" in html and "上海静安店" in html


@pytest.mark.parametrize("query", ["13912345678", "139 1234 5678", "M", "小明"])
def test_search_by_full_phone_member_no_or_name(owner, make_member, store, query):
    wanted = make_member(store=store, phone="13912345678", name="王小明")
    other = make_member(store=store, phone="13700000001", name="李四")
    q = wanted.member_no if query == "M" else query
    html = owner.get(reverse("console:members"), {"q": q}).content.decode()
    assert wanted.member_no in html
    assert other.member_no not in html


def test_partial_phone_does_not_match(owner, make_member, store):
    make_member(store=store, phone="13912345678", name="王小明")
    html = owner.get(reverse("console:members"), {"q": "1391234"}).content.decode()
    assert "没有找到符合条件的会员" in html


def test_htmx_search_returns_only_the_results(owner, make_member, store):
    m = make_member(store=store, name="王小明")
    r = owner.get(reverse("console:members"), {"q": "小明"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert m.member_no in html
    assert "<html" not in html and "<table" in html


def test_filter_by_tier_and_store(owner, make_member, store, other_store, tiers):
    sh = make_member(store=store, name="上海会员")
    bj = make_member(store=other_store, name="北京会员")
    services.set_tier(SYSTEM, bj.pk, "gold", "测试")
    html = owner.get(reverse("console:members"), {"store": "SH01"}).content.decode()
    assert sh.member_no in html and bj.member_no not in html
    html = owner.get(reverse("console:members"), {"tier": "gold"}).content.decode()
    assert bj.member_no in html and sh.member_no not in html


def test_cursor_pagination_walks_every_member_once(owner, make_member, store):
    made = {make_member(store=store).member_no for _ in range(35)}
    first = owner.get(reverse("console:members"))
    cursor = first.context["next_cursor"]
    assert cursor and len(first.context["rows"]) == 30
    second = owner.get(reverse("console:members"), {"cursor": cursor})
    assert second.context["next_cursor"] is None
    seen = [m.member_no for m in first.context["rows"]] + [m.member_no for m in second.context["rows"]]
    assert sorted(seen) == sorted(made)


def test_bad_cursor_is_a_readable_error(owner, member):
    r = owner.get(reverse("console:members"), {"cursor": "not-a-cursor"})
    assert r.status_code == 200
    assert "分页参数无效" in r.content.decode()


def test_store_manager_sees_only_own_store(console_as, make_member, store, other_store):
    mine = make_member(store=store)
    theirs = make_member(store=other_store)
    client = console_as("store_manager", stores=["SH01"])
    html = client.get(reverse("console:members")).content.decode()
    assert mine.member_no in html and theirs.member_no not in html
    assert client.get(detail_url(mine)).status_code == 200
    r = client.get(detail_url(theirs))
    assert r.status_code == 404
    assert "不属于你的门店" in r.content.decode()


def test_store_manager_filtering_on_another_store_finds_nobody(console_as, make_member, store, other_store):
    make_member(store=other_store)
    r = console_as("store_manager", stores=["SH01"]).get(reverse("console:members"), {"store": "BJ01"})
    assert r.context["rows"] == [] and r.context["total"] == 0


def test_store_manager_cannot_adjust_other_stores_member(console_as, make_member, store, other_store):
    theirs = make_member(store=other_store)
    client = console_as("store_manager", stores=["SH01"])
    r = client.post(adjust_url(theirs), {"points": 10, "reason": "x", "token": "a" * 32})
    assert r.status_code == 404
    assert PointsEntry.objects.filter(member=theirs).count() == 0


def test_anonymous_is_sent_to_login(client, member):
    r = client.get(detail_url(member))
    assert r.status_code == 302 and r["Location"].startswith("/console/login/")


def test_detail_shows_profile_tier_history_and_ledger(owner, member):
    services.adjust(SYSTEM, member.pk, 120, reason="开卡礼")
    html = owner.get(detail_url(member)).content.decode()
    assert member.member_no in html and member.phone_masked in html
    assert "入会" in html  # the first tier change
    assert "开卡礼" in html and "+120" in html
    assert 'id="reveal-phone"' in html


def test_analyst_sees_no_reveal_button_and_gets_403(console_as, member):
    client = console_as("analyst")
    html = client.get(detail_url(member)).content.decode()
    assert 'id="reveal-phone"' not in html
    assert member.phone not in html
    r = client.post(reverse("console:member_reveal_phone", args=[member.pk]))
    assert r.status_code == 403
    assert member.phone not in r.content.decode()
    assert not AuditEntry.objects.filter(action="member.phone_revealed").exists()


def test_reveal_phone_shows_number_and_is_audited(owner, member):
    r = owner.post(reverse("console:member_reveal_phone", args=[member.pk]))
    assert r.status_code == 200
    assert member.phone in r.content.decode()
    entry = AuditEntry.objects.get(action="member.phone_revealed")
    assert entry.object_id == str(member.pk) and entry.actor_label == "owner_console"


def test_reveal_needs_post(owner, member):
    assert owner.get(reverse("console:member_reveal_phone", args=[member.pk])).status_code == 405


def test_adjust_twice_with_same_token_writes_one_entry(owner, member):
    form = {"points": 50, "reason": "顾客投诉补偿", "token": "f" * 32}
    first = owner.post(adjust_url(member), form)
    second = owner.post(adjust_url(member), form)
    assert first.status_code == second.status_code == 302
    entries = PointsEntry.objects.filter(member=member)
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.kind, entry.points, entry.reason, entry.ref) == ("adjust", 50, "顾客投诉补偿", "console:" + "f" * 32)
    assert balance(member) == 50
    page = owner.get(first["Location"]).content.decode()
    assert "已增加 50 积分，当前余额 50" in page


def test_reused_token_with_different_amount_is_refused(owner, member):
    owner.post(adjust_url(member), {"points": 50, "reason": "补偿", "token": "8" * 32})
    r = owner.post(adjust_url(member), {"points": 80, "reason": "补偿", "token": "8" * 32})
    assert "这个表单已经提交过" in r.content.decode()
    assert list(PointsEntry.objects.filter(member=member).values_list("points", flat=True)) == [50]


def test_adjust_with_new_token_adds_again_and_can_deduct(owner, member):
    owner.post(adjust_url(member), {"points": 50, "reason": "补偿", "token": "1" * 32})
    owner.post(adjust_url(member), {"points": -20, "reason": "误发扣回", "token": "2" * 32})
    assert list(PointsEntry.objects.filter(member=member).values_list("points", flat=True)) == [-20, 50]
    assert balance(member) == 30


def test_adjust_without_reason_is_refused_inline(owner, member):
    r = owner.post(adjust_url(member), {"points": 50, "reason": "  ", "token": "3" * 32})
    assert r.status_code == 200
    assert "请填写调整原因" in r.content.decode()
    assert PointsEntry.objects.filter(member=member).count() == 0


def test_adjust_more_than_balance_is_refused_readably(owner, member):
    services.adjust(SYSTEM, member.pk, 10, reason="起始")
    r = owner.post(adjust_url(member), {"points": -50, "reason": "扣回", "token": "4" * 32})
    html = r.content.decode()
    assert "积分不足" in html and "只有 10 积分" in html
    assert balance(member) == 10
    assert PointsEntry.objects.filter(member=member).count() == 1


@pytest.mark.parametrize("points", ["0", "abc", "", "1.5", "20000000"])
def test_adjust_rejects_bad_points(owner, member, points):
    r = owner.post(adjust_url(member), {"points": points, "reason": "x", "token": "5" * 32})
    assert r.status_code == 200
    assert 'class="field has-error"' in r.content.decode()
    assert PointsEntry.objects.filter(member=member).count() == 0


def test_adjust_without_token_is_refused(owner, member):
    r = owner.post(adjust_url(member), {"points": 5, "reason": "x"})
    assert "表单已过期" in r.content.decode()
    assert PointsEntry.objects.filter(member=member).count() == 0


def test_roles_without_points_adjust_get_no_form_and_403(console_as, member):
    client = console_as("analyst")
    assert 'id="adjust"' not in client.get(detail_url(member)).content.decode()
    r = client.post(adjust_url(member), {"points": 5, "reason": "x", "token": "6" * 32})
    assert r.status_code == 403
    assert PointsEntry.objects.filter(member=member).count() == 0


def test_store_manager_may_adjust_own_stores_member(console_as, member):
    client = console_as("store_manager", stores=["SH01"])
    r = client.post(adjust_url(member), {"points": 5, "reason": "到店礼", "token": "7" * 32})
    assert r.status_code == 302
    assert balance(member) == 5


def test_ledger_is_paginated_newest_first(owner, member):
    for n in range(1, 26):
        services.adjust(SYSTEM, member.pk, n, reason=f"第{n}次")
    first = owner.get(detail_url(member))
    assert [e.points for e in first.context["ledger"]][:3] == [25, 24, 23]
    cursor = first.context["ledger_next"]
    rest = owner.get(detail_url(member), {"ledger_cursor": cursor})
    assert [e.points for e in rest.context["ledger"]] == [5, 4, 3, 2, 1]


def test_owner_changes_tier_with_reason(owner, member, tiers):
    r = owner.post(reverse("console:member_set_tier", args=[member.pk]), {"tier": "gold", "reason": "大客户特批"})
    assert r.status_code == 302
    from shequn.loyalty.selectors import account, tier_history

    assert account(member.pk).tier.code == "gold"
    assert "大客户特批" in tier_history(member.pk).first().reason


def test_tier_change_needs_reason_and_permission(owner, console_as, member, tiers):
    r = owner.post(reverse("console:member_set_tier", args=[member.pk]), {"tier": "gold", "reason": ""})
    assert "请填写调整等级的原因" in r.content.decode()
    manager = console_as("store_manager", stores=["SH01"])
    assert f'action="/console/members/{member.pk}/tier/"' not in manager.get(detail_url(member)).content.decode()
    r = manager.post(reverse("console:member_set_tier", args=[member.pk]), {"tier": "gold", "reason": "x"})
    assert r.status_code == 403
    from shequn.loyalty.selectors import account

    assert account(member.pk).tier.code == "basic"
