"""Grants with a control group (对照组): the held-out members get no coupon and are recorded, in the service, the
API and the console; a retry keeps everyone's arm; a retry with another share is refused."""

import pytest

from shequn.analytics.models import Holdout, HoldoutAssignment
from shequn.commerce.coupons import services
from shequn.commerce.coupons.models import Coupon
from shequn.core.errors import ValidationProblem

pytestmark = pytest.mark.django_db


@pytest.fixture
def forty(make_member, store):
    return [make_member(store=store) for _ in range(40)]


def test_service_holds_out_the_share_and_grants_the_rest(system_actor, make_template, forty):
    template = make_template(per_member_limit=1)
    result = services.grant(system_actor, template, forty, ref="春季", holdout_percent=25)
    assert result["held_out"] == 10 and result["issued"] == 30
    out = set(HoldoutAssignment.objects.filter(held_out=True).values_list("member_id", flat=True))
    granted = set(Coupon.objects.values_list("member_id", flat=True))
    assert len(out) == 10 and len(granted) == 30 and not out & granted
    assert out | granted == {m.pk for m in forty}
    holdout = Holdout.objects.get()
    assert (holdout.campaign_kind, holdout.campaign_id, holdout.ref, holdout.percent) == ("coupon", template.pk,
                                                                                          "春季", 25)
    again = services.grant(system_actor, template, forty, ref="春季", holdout_percent=25)
    assert again["held_out"] == 10 and again["already"] == 30 and again["issued"] == 0
    assert Coupon.objects.count() == 30 and HoldoutAssignment.objects.count() == 40
    with pytest.raises(ValidationProblem) as refused:
        services.grant(system_actor, template, forty, ref="春季", holdout_percent=0)
    assert refused.value.type == "holdout-mismatch" and Coupon.objects.count() == 30


def test_without_holdout_nothing_is_recorded(system_actor, make_template, forty):
    result = services.grant(system_actor, make_template(), forty[:5], ref="普通")
    assert result["issued"] == 5 and result["held_out"] == 0 and not Holdout.objects.exists()
    with pytest.raises(ValidationProblem):
        services.grant(system_actor, make_template(), forty[:5], ref="x", holdout_percent=51)


def test_api_grant_with_holdout(api, make_template, forty):
    template = make_template(per_member_limit=1)
    path = f"/coupons/templates/{template.pk}/grant"
    body = {"member_nos": [m.member_no for m in forty], "ref": "api-batch", "holdout_percent": 10}
    granted = api.post(path, body, key="h1")
    assert granted.status_code == 200, granted.json()
    assert granted.json()["held_out"] == 4 and granted.json()["issued"] == 36
    bad = api.post(path, {**body, "holdout_percent": 60}, key="h2")
    assert bad.status_code == 422
    mismatch = api.post(path, {**body, "holdout_percent": 20}, key="h3")
    assert mismatch.status_code == 422 and mismatch.json()["type"] == "holdout-mismatch"
    assert mismatch.json()["percent"] == 10 and Coupon.objects.count() == 36


def test_console_grant_form_holds_out(make_template, forty):
    from django.test import Client

    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    user, _ = ensure_staff(SYSTEM, "owner_holdout", role="owner")
    client = Client()
    client.force_login(user)
    template = make_template(per_member_limit=1)
    url = f"/console/commerce/coupons/{template.pk}/grant/"
    nos = "\n".join(m.member_no for m in forty)
    page = client.get(f"/console/commerce/coupons/{template.pk}/").content.decode()
    assert 'name="holdout_percent"' in page
    response = client.post(url, {"member_nos": nos, "ref": "第一批", "holdout_percent": "50"}, follow=True)
    assert "对照组 20 人未发券" in response.content.decode()
    assert Coupon.objects.count() == 20
    response = client.post(url, {"member_nos": nos, "ref": "第一批", "holdout_percent": "5"})
    assert response.status_code == 422 and "对照组比例是 50%" in response.content.decode()
    assert Coupon.objects.count() == 20
