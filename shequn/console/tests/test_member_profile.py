"""会员 360 画像 page: the figures, the tab from the member page, store scoping, recommendations fragment,
a bounded number of queries."""

import pytest

from shequn.analytics import profile_recs
from shequn.analytics.tests.profile_data import EXPECTED, EXPECTED_ALL, build
from shequn.core.money import format_fen

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_recommender():
    profile_recs.forget()
    yield
    profile_recs.forget()


@pytest.fixture
def history(system_actor, store, other_store, make_member):
    return build(system_actor, store, other_store, make_member)


def test_owner_sees_the_headline_and_sections(history, owner):
    response = owner.get(f"/console/members/{history.member.pk}/profile/")
    assert response.status_code == 200
    html = response.content.decode()
    assert format_fen(EXPECTED_ALL["net"]) in html and format_fen(EXPECTED_ALL["aov"]) in html
    assert 'id="m360-orders">5<' in html and "冠军客户" in html and "¥510.00" in html
    assert f'href="/console/commerce/orders/{history.first.pk}/"' in html
    assert "朝阳吃货群" in html and "静安宝妈群" in html and "宝妈" in html
    assert f'hx-get="/console/members/{history.member.pk}/profile/recommendations/"' in html
    assert "只统计你负责的门店" not in html


def test_member_page_has_the_360_tab(history, owner):
    html = owner.get(f"/console/members/{history.member.pk}/").content.decode()
    assert f'href="/console/members/{history.member.pk}/profile/"' in html and "360 画像" in html


def test_store_manager_sees_their_stores_figures_only(history, console_as, store, other_store):
    mine = console_as("store_manager", stores=[store.code])
    html = mine.get(f"/console/members/{history.member.pk}/profile/").content.decode()
    assert format_fen(EXPECTED["net"]) in html and "只统计你负责的门店" in html
    assert "朝阳吃货群" not in html and "冠军客户" not in html  # the chain-wide RFM run is not theirs
    assert "忠诚客户" in html
    other = console_as("store_manager", stores=[other_store.code], username="bj_manager")
    assert other.get(f"/console/members/{history.member.pk}/profile/").status_code == 404
    assert other.get(f"/console/members/{history.member.pk}/profile/recommendations/").status_code == 404


def test_recommendations_fragment_lists_products_with_prices(history, owner):
    html = owner.get(f"/console/members/{history.member.pk}/profile/recommendations/").content.decode()
    assert 'data-sku="MILK"' in html and "鲜牛奶" in html and "常一起买" in html and "¥10.00" in html
    assert "OLD-SKU" not in html


def test_a_new_member_page_says_nothing_is_computed_yet(make_member, store, owner):
    fresh = make_member(store, name="新会员")
    html = owner.get(f"/console/members/{fresh.pk}/profile/").content.decode()
    assert "还没有订单。" in html and "尚未计算" in html and "终身价值尚未计算。" in html


def test_page_queries_are_bounded(history, owner, django_assert_max_num_queries):
    owner.get(f"/console/members/{history.member.pk}/profile/")  # session, staff user and permissions warm
    with django_assert_max_num_queries(32):
        assert owner.get(f"/console/members/{history.member.pk}/profile/").status_code == 200
