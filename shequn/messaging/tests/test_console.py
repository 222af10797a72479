import pytest
from django.test import Client

from shequn.messaging.models import Channel, Message, MessageTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_as(db, settings):
    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(role="owner", stores=None):
        user, _ = ensure_staff(SYSTEM, f"{role}_msg", role=role, store_codes=stores, password="correct-horse-42")
        client = Client()
        client.force_login(user)
        return client

    return make


def test_channel_created_in_the_console_shows_secrets_only_as_set(console_as):
    owner = console_as()
    response = owner.post("/console/messaging/channels/new/?type=sms:aliyun", {
        "name": "阿里云短信", "is_active": "on", "s_access_key_id": "LTAI5t", "s_access_key_secret": "hush-hush",
        "s_sign_name": "社群会员", "s_region": "cn-hangzhou", "s_endpoint": "https://dysmsapi.aliyuncs.com/"})
    assert response.status_code == 302
    channel = Channel.objects.get()
    page = owner.get(f"/console/messaging/channels/{channel.pk}/").content.decode()
    assert "hush-hush" not in page and "已设置，留空则不修改" in page
    assert f"/hooks/sms/{channel.callback_token}/" in page
    listing = owner.get("/console/messaging/channels/").content.decode()
    assert "已设置" in listing and "hush-hush" not in listing


def test_channel_form_missing_setting_is_shown_next_to_the_field(console_as):
    response = console_as().post("/console/messaging/channels/new/?type=email:smtp", {
        "name": "邮件", "s_host": "smtp.example.com", "s_port": "465", "s_security": "ssl"})
    assert response.status_code == 422 and not Channel.objects.exists()
    assert "has-error" in response.content.decode()


def test_test_send_to_a_member_lands_in_their_inbox(console_as, make_member, store):
    member = make_member(store=store, name="韩梅梅")
    owner = console_as()
    owner.post("/console/messaging/channels/new/?type=in_app:", {"name": "站内信", "is_active": "on"})
    channel = Channel.objects.get()
    response = owner.post(f"/console/messaging/channels/{channel.pk}/test/", {
        "member_no": member.member_no, "subject": "测试", "body": "渠道测试"}, follow=True)
    assert "测试消息已发出" in response.content.decode()
    message = Message.objects.get()
    assert message.member == member and message.status == "delivered"


def test_template_unknown_variable_message_and_preview(console_as, make_member, store):
    member = make_member(store=store, name="韩梅梅")
    owner = console_as()
    owner.post("/console/messaging/channels/new/?type=in_app:", {"name": "站内信", "is_active": "on"})
    channel = Channel.objects.get()
    bad = owner.post("/console/messaging/templates/", {"channel": channel.pk, "name": "生日", "purpose": "marketing",
                                                       "body_zh": "{{ member.name }} 生日快乐 {{ member.age }}",
                                                       "track_links": "on", "is_active": "on"})
    assert bad.status_code == 422 and "member.age" in bad.content.decode()
    assert not MessageTemplate.objects.exists()
    body = "{{ member.name }}，生日快乐！积分 {{ member.points }}"
    good = owner.post("/console/messaging/templates/", {"channel": channel.pk, "name": "生日", "purpose": "marketing",
                                                        "body_zh": body, "track_links": "on", "is_active": "on"})
    template = MessageTemplate.objects.get()
    assert good.status_code == 302
    page = owner.get(f"/console/messaging/templates/{template.pk}/?member_no={member.member_no}").content.decode()
    assert "韩梅梅，生日快乐！积分 0" in page


def test_message_log_is_scoped_for_store_managers(console_as, make_member, store, other_store, system_actor):
    from shequn.messaging import sending
    from shequn.messaging.services import create_channel

    channel = create_channel(system_actor, name="站内信", kind="in_app")
    mine, theirs = make_member(store=store, name="本店会员"), make_member(store=other_store, name="外店会员")
    for m in (mine, theirs):
        sending.compose(system_actor, channel=channel, member=m, body=f"通知 {m.name}", enqueue=False)
    page = console_as("store_manager", stores=[store.code]).get("/console/messaging/messages/").content.decode()
    assert "通知 本店会员" in page and "通知 外店会员" not in page
    assert console_as("store_manager", stores=[store.code]).get(
        "/console/messaging/channels/new/?type=in_app:").status_code == 403
    full = console_as().get("/console/messaging/messages/?status=queued").content.decode()
    assert "通知 外店会员" in full


def test_store_manager_sends_to_own_member_and_is_told_why_marketing_is_refused(console_as, make_member, store,
                                                                                 other_store, system_actor):
    from shequn.messaging.services import create_channel

    channel = create_channel(system_actor, name="站内信", kind="in_app")
    mine = make_member(store=store, name="本店会员", consents={"marketing": False})
    theirs = make_member(store=other_store)
    manager = console_as("store_manager", stores=[store.code])
    ok = manager.post("/console/messaging/send/", {"member_no": mine.member_no, "channel": channel.pk,
                                                   "purpose": "service", "body": "您的订单已到店"})
    assert ok.status_code == 302
    assert Message.objects.get().body == "您的订单已到店"
    refused = manager.post("/console/messaging/send/", {"member_no": mine.member_no, "channel": channel.pk,
                                                        "purpose": "marketing", "body": "周末大促"})
    assert refused.status_code == 422 and "没有同意营销触达" in refused.content.decode()
    other = manager.post("/console/messaging/send/", {"member_no": theirs.member_no, "channel": channel.pk,
                                                      "purpose": "service", "body": "x"})
    assert other.status_code == 422 and Message.objects.count() == 1
