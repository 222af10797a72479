"""Each channel against a local stand-in: aiosmtpd for SMTP, httpx MockTransport for the HTTP providers."""

import email
import email.policy
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from shequn.messaging import http, sending
from shequn.messaging.channels import Outgoing, sender_for
from shequn.messaging.channels.signing import aliyun_signature, tc3_authorization
from shequn.messaging.models import Message
from shequn.messaging.services import create_channel, save_template

pytestmark = pytest.mark.django_db


def test_smtp_delivery_to_a_local_server(system_actor, email_channel, smtp_server, consenting_member):
    from shequn.messaging.consent import set_email

    _, inbox = smtp_server
    set_email(system_actor, consenting_member, "xiaohong@example.com")
    template = save_template(system_actor, channel=email_channel, name="会员日邮件", purpose="marketing",
                             subject_zh="{{ member.name }}，会员日专享", body_zh="您有 {{ member.points }} 积分可用。")
    message = sending.compose(system_actor, channel=email_channel, member=consenting_member, template=template,
                              enqueue=False)
    assert message.recipient == "xi***@example.com"
    message = sending.deliver(message.pk)
    assert message.status == Message.Status.SENT, message.error
    assert inbox.received.wait(5)
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["xiaohong@example.com"]
    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert parsed["List-Unsubscribe"].startswith("<http://localhost:8000/u/")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Subject"] == "王小红，会员日专享"
    assert parsed["From"] == "社群会员俱乐部 <club@shequn.example>"
    body = parsed.get_content()
    assert "您有 0 积分可用" in body and "一键退订: http://localhost:8000/u/" in body


def test_smtp_server_that_refuses_is_a_failed_message(system_actor, consenting_member):
    from shequn.messaging.consent import set_email

    channel = create_channel(system_actor, name="坏邮箱", kind="email", provider="smtp", settings={
        "host": "127.0.0.1", "port": "1", "security": "none", "from_email": "club@shequn.example"})
    set_email(system_actor, consenting_member, "xiaohong@example.com")
    message = sending.compose(system_actor, channel=channel, member=consenting_member, subject="s", body="b",
                              enqueue=False)
    message = sending.deliver(message.pk)
    assert message.status == Message.Status.FAILED and "邮件服务器" in message.error


def test_wecom_robot_posts_text_with_the_key(system_actor):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    robot = create_channel(system_actor, name="门店群机器人", kind="wecom_robot",
                           settings={"webhook_key": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"})
    with http.use_transport(httpx.MockTransport(handler)):
        message = sending.compose(system_actor, channel=robot, body="今晚 8 点直播上新，戳 https://shop.example.com",
                                  purpose="marketing", enqueue=False)
        message = sending.deliver(message.pk)
    assert message.status == Message.Status.DELIVERED
    request = seen[0]
    assert request.url.path == "/cgi-bin/webhook/send"
    assert request.url.params["key"] == "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    body = json.loads(request.content)
    assert body["msgtype"] == "text" and body["text"]["content"].startswith("今晚 8 点直播上新")
    assert "/l/" in body["text"]["content"]  # the link is tracked


def test_wecom_robot_error_code_fails_the_message(system_actor):
    robot = create_channel(system_actor, name="门店群机器人", kind="wecom_robot",
                           settings={"webhook_key": "k", "msgtype": "markdown"})
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"errcode": 93000, "errmsg": "invalid key"}))
    with http.use_transport(transport):
        message = sending.deliver(sending.compose(system_actor, channel=robot, subject="**上新**", body="见店群",
                                                  enqueue=False).pk)
    assert message.status == Message.Status.FAILED and "93000" in message.error


def test_wecom_group_mass_send_caches_the_token_and_refreshes_it_once(system_actor):
    from django.core.cache import cache

    cache.clear()
    calls, expired = [], []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.url.path, dict(request.url.params)))
        if request.url.path.endswith("/gettoken"):
            n = sum(1 for p, _ in calls if p.endswith("/gettoken"))
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "access_token": f"T{n}", "expires_in": 7200})
        if request.url.params["access_token"] == "T1" and expired:
            return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})
        expired.append(True)  # T1 works once, then WeCom says it expired
        body = json.loads(request.content)
        assert body["chat_type"] == "group" and body["sender"] == "zhangsan"
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "fail_list": [],
                                         "msgid": f"msg{len(calls)}"})

    group = create_channel(system_actor, name="客户群群发", kind="wecom_group", settings={
        "corp_id": "ww1234", "corp_secret": "s3cret", "sender": "zhangsan"})
    with http.use_transport(httpx.MockTransport(handler)):
        first = sending.deliver(sending.compose(system_actor, channel=group, body="周末团购开团",
                                                enqueue=False).pk)
        second = sending.deliver(sending.compose(system_actor, channel=group, body="周日自提提醒",
                                                 enqueue=False).pk)
    assert first.status == second.status == Message.Status.SENT
    paths = [p.rsplit("/", 1)[1] for p, _ in calls]
    # one token for the first send; the second finds it expired, refreshes once and succeeds
    assert paths == ["gettoken", "add_msg_template", "add_msg_template", "gettoken", "add_msg_template"]
    assert calls[0][1] == {"corpid": "ww1234", "corpsecret": "s3cret"}
    assert second.provider_message_id == "msg5"


def _verify_aliyun(request: httpx.Request) -> dict:
    params = dict(parse_qsl(request.content.decode()))
    assert aliyun_signature("POST", params, "ali-secret") == params["Signature"]
    return params


def test_aliyun_sms_sends_a_signed_request_with_template_params(system_actor, consenting_member):
    seen = []

    def handler(request):
        seen.append(_verify_aliyun(request))
        return httpx.Response(200, json={"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0",
                                         "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})

    channel = create_channel(system_actor, name="阿里云短信", kind="sms", provider="aliyun", settings={
        "access_key_id": "LTAI-test", "access_key_secret": "ali-secret", "sign_name": "社群会员"})
    template = save_template(system_actor, channel=channel, name="积分提醒", purpose="service",
                             body_zh="{{ member.name }}您好，您的积分余额 {{ member.points }}",
                             provider_template_code="SMS_154950909")
    with http.use_transport(httpx.MockTransport(handler)):
        message = sending.deliver(sending.compose(system_actor, channel=channel, member=consenting_member,
                                                  template=template, enqueue=False).pk)
    assert message.status == Message.Status.SENT and message.provider_message_id == "900619746936498440^0"
    params = seen[0]
    assert params["PhoneNumbers"] == consenting_member.phone and params["TemplateCode"] == "SMS_154950909"
    assert json.loads(params["TemplateParam"]) == {"member_name": "王小红", "member_points": "0"}
    assert params["SignName"] == "社群会员" and params["OutId"] == str(message.pk)


def test_aliyun_refusal_is_recorded(system_actor, consenting_member):
    channel = create_channel(system_actor, name="阿里云短信", kind="sms", provider="aliyun", settings={
        "access_key_id": "LTAI-test", "access_key_secret": "ali-secret", "sign_name": "社群会员"})
    reply = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"}
    with http.use_transport(httpx.MockTransport(lambda r: httpx.Response(200, json=reply))):
        message = sending.deliver(sending.compose(system_actor, channel=channel, member=consenting_member,
                                                  body="x", enqueue=False).pk)
    assert message.status == Message.Status.FAILED and "BUSINESS_LIMIT_CONTROL" in message.error


def test_tencent_sms_sends_a_tc3_signed_request(system_actor, consenting_member):
    seen = []

    def handler(request: httpx.Request):
        body = request.content.decode()
        ts = int(request.headers["X-TC-Timestamp"])
        assert request.headers["Authorization"] == tc3_authorization(
            "AKID-test", "tc-secret", service="sms", host="sms.tencentcloudapi.com", payload=body, timestamp=ts)
        assert request.headers["X-TC-Action"] == "SendSms" and request.headers["X-TC-Version"] == "2021-01-11"
        seen.append(json.loads(body))
        return httpx.Response(200, json={"Response": {"SendStatusSet": [{
            "SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": "+8613711112222", "Fee": 1,
            "Code": "Ok", "Message": "send success", "IsoCode": "CN"}], "RequestId": "a0aabda6"}})

    channel = create_channel(system_actor, name="腾讯云短信", kind="sms", provider="tencent", settings={
        "secret_id": "AKID-test", "secret_key": "tc-secret", "sdk_app_id": "1400006666", "sign_name": "社群会员"})
    template = save_template(system_actor, channel=channel, name="积分提醒", purpose="service",
                             body_zh="{{ member.name }}您好，积分 {{ member.points }}", provider_template_code="449739")
    with http.use_transport(httpx.MockTransport(handler)):
        message = sending.deliver(sending.compose(system_actor, channel=channel, member=consenting_member,
                                                  template=template, enqueue=False).pk)
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == "5000:1045710669157053657849499619"
    assert seen[0]["PhoneNumberSet"] == [f"+86{consenting_member.phone}"]
    assert seen[0]["TemplateParamSet"] == ["王小红", "0"] and seen[0]["TemplateId"] == "449739"


def test_dev_sms_writes_to_the_dev_inbox(system_actor, dev_sms, consenting_member):
    from shequn.core.models import DevInboxMessage

    message = sending.deliver(sending.compose(system_actor, channel=dev_sms, member=consenting_member,
                                              body="【社群】您的包裹已到店", enqueue=False).pk)
    assert message.status == Message.Status.DELIVERED
    row = DevInboxMessage.objects.get()
    assert row.body == "【社群】您的包裹已到店" and row.recipient == consenting_member.phone_masked


def test_sender_interface_is_the_same_for_every_channel(system_actor, in_app):
    result = sender_for(in_app).send(Outgoing(message_id=1, address="", subject="", body="hi"))
    assert result.ok and result.delivered
