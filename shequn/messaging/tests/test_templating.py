import pytest

from shequn.core.errors import ValidationProblem
from shequn.messaging import templating
from shequn.messaging.previews import preview
from shequn.messaging.services import save_template


def test_render_fills_known_variables_only_from_the_flat_values():
    rendered = templating.render("{{ member.name }}，您有 {{member.points}} 积分", {
        "member.name": "王小红", "member.points": "1280"})
    assert rendered.text == "王小红，您有 1280 积分"
    assert rendered.used == ["member.name", "member.points"]


def test_unknown_variables_are_named_in_the_error():
    with pytest.raises(templating.UnknownVariables) as err:
        templating.validate("你好 {{ member.name }} {{ member.password }} {{ request.user }}")
    assert err.value.extra["unknown"] == ["member.password", "request.user"]


@pytest.mark.parametrize("text", ["{{ member.name|upper }}", "{% if x %}hi{% endif %}", "{{ member.__class__ }}",
                                  "{{ member.name }"])
def test_filters_tags_and_dunder_access_are_refused(text):
    with pytest.raises(ValidationProblem):
        templating.validate(text)


def test_saving_a_template_with_an_unknown_variable_writes_nothing(system_actor, in_app):
    from shequn.messaging.models import MessageTemplate

    with pytest.raises(templating.UnknownVariables) as err:
        save_template(system_actor, channel=in_app, name="会员日", purpose="marketing",
                      body_zh="{{ member.name }} 您好，{{ member.birthday }} 生日快乐")
    assert err.value.extra["unknown"] == ["member.birthday"]
    assert err.value.extra["field"] == "body_zh"
    assert not MessageTemplate.objects.exists()


def test_missing_coupon_is_refused_at_render_time():
    with pytest.raises(templating.MissingValue):
        templating.render("您的 {{ coupon.name }} 快到期了", {"coupon.name": ""})


def test_preview_with_a_real_member_uses_their_tier_and_points(system_actor, in_app, consenting_member):
    template = save_template(system_actor, channel=in_app, name="积分提醒", purpose="service",
                             subject_zh="{{ member.name }} 的积分",
                             body_zh="{{ member.tier }}会员，积分 {{ member.points }}",
                             body_en="Dear {{ member.name }}, you have {{ member.points }} points")
    out = preview(template, consenting_member)
    assert out["subject"] == "王小红 的积分"
    assert out["body"].endswith("积分 0") and "会员" in out["body"]
    assert preview(template, consenting_member, "en")["body"] == "Dear 王小红, you have 0 points"


def test_group_channel_templates_may_not_use_member_variables(db, system_actor):
    from shequn.messaging.services import create_channel

    robot = create_channel(system_actor, name="店群机器人", kind="wecom_robot", settings={"webhook_key": "k"})
    with pytest.raises(templating.UnknownVariables):
        save_template(system_actor, channel=robot, name="上新", purpose="marketing", body_zh="{{ member.name }} 上新啦")
    save_template(system_actor, channel=robot, name="上新", purpose="marketing",
                  body_zh="今晚 8 点上新 {{ link.shop }}")
