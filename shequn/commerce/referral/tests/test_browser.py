"""In Chromium on a phone-sized screen: a friend opens a member's referral link, signs up with a code, and
the member sees the new friend on 邀请好友."""

import pytest

from shequn.h5.tests.browser import log_in_by_sms

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def _phone(chromium_page):
    return chromium_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=IPHONE)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_friend_signs_up_through_the_link_and_the_referrer_sees_them(live_server, settings, chromium_page, store,
                                                                     system_actor):
    from shequn.commerce.referral import services
    from shequn.commerce.referral.models import Referral
    from shequn.members.services import create_member

    settings.DEV_INBOX = True
    settings.OTP_MIN_INTERVAL_SECONDS = 0
    referrer = create_member(system_actor, phone="13911112222", name="李阿姨", store=store)
    code = services.code_for(referrer).code
    url = live_server.url

    friend = _phone(chromium_page)
    friend.goto(f"{url}/m/r/{code}/")
    assert "李阿姨 邀请你加入会员" in friend.locator("[data-referral-link]").inner_text()
    friend.locator("[data-signup]").click()
    friend.wait_for_url(f"{url}/m/login/**")
    log_in_by_sms(friend, url, "13933334444")
    friend.wait_for_url(f"{url}/m/")
    referral = Referral.objects.get()
    assert referral.referrer == referrer and referral.status == "pending" and referral.device_id
    friend.goto(f"{url}/m/referral/")
    assert friend.locator("[data-invite-qr] svg").is_visible()
    assert friend.locator("[data-invite-code]").inner_text() != code  # the friend has a code of their own

    me = _phone(chromium_page)
    me.goto(f"{url}/m/referral/")
    log_in_by_sms(me, url, "13911112222")
    me.wait_for_url(f"{url}/m/referral/")
    assert me.locator("[data-invite-code]").inner_text() == code
    row = me.locator(f'[data-referral="{referral.pk}"]')
    assert "待首单" in row.inner_text()
    assert me.locator("[data-invite-url]").input_value().endswith(f"/m/r/{code}/")
