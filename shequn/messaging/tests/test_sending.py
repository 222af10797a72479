import pytest
from django.test import Client

from shequn.members.services import current_consents, record_consent
from shequn.messaging import sending
from shequn.messaging.channels.inapp import InApp
from shequn.messaging.models import LinkClick, Message
from shequn.messaging.services import save_template


@pytest.fixture
def promo(system_actor, in_app):
    return save_template(system_actor, channel=in_app, name="会员日", purpose="marketing",
                         subject_zh="会员日到啦", body_zh="{{ member.name }}，8 号会员日全场 9 折：https://shop.example.com/d/8")


def test_marketing_send_is_refused_without_consent_but_service_still_goes(system_actor, in_app, promo, make_member,
                                                                          store):
    member = make_member(store=store, consents={"marketing": False})
    with pytest.raises(sending.NoConsent):
        sending.compose(system_actor, channel=in_app, member=member, template=promo, enqueue=False)
    assert not Message.objects.filter(member=member).exists()
    notice = sending.compose(system_actor, channel=in_app, member=member, body="您的订单已可自提", purpose="service",
                             enqueue=False)
    assert sending.deliver(notice.pk).status == Message.Status.DELIVERED


def test_consent_withdrawn_after_queueing_cancels_at_send_time(system_actor, in_app, promo, consenting_member,
                                                               monkeypatch):
    message = sending.compose(system_actor, channel=in_app, member=consenting_member, template=promo, enqueue=False)
    record_consent(system_actor, consenting_member, "marketing", False, source="test")
    sent = []
    monkeypatch.setattr(InApp, "send", lambda self, m: sent.append(m))
    message = sending.deliver(message.pk)
    assert message.status == Message.Status.CANCELLED and "营销" in message.error
    assert sent == []


def test_channel_opt_out_refuses_marketing_on_that_kind_only(system_actor, in_app, dev_sms, promo, consenting_member):
    from shequn.messaging.consent import set_channel_opt_out

    set_channel_opt_out(system_actor, consenting_member, "in_app", True)
    with pytest.raises(sending.NoConsent):
        sending.compose(system_actor, channel=in_app, member=consenting_member, template=promo, enqueue=False)
    sms = sending.compose(system_actor, channel=dev_sms, member=consenting_member, body="周末特惠", purpose="marketing",
                          enqueue=False)
    assert sms.body.endswith("回T退订")


def test_deliver_is_idempotent_after_a_crash_mid_send(system_actor, in_app, consenting_member, monkeypatch):
    message = sending.compose(system_actor, channel=in_app, member=consenting_member, body="积分到账", enqueue=False)
    calls = []

    def crash_after_the_network_call(self, outgoing):
        calls.append(outgoing.message_id)
        raise SystemExit("worker killed")  # the process dies before the result is recorded

    monkeypatch.setattr(InApp, "send", crash_after_the_network_call)
    with pytest.raises(SystemExit):
        sending.deliver(message.pk)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENDING
    again = sending.deliver(message.pk)  # the task is retried
    assert calls == [message.pk]
    assert again.status == Message.Status.SENDING
    import datetime as dt

    from django.utils import timezone

    assert sending.fail_stale_claims(timezone.now() + dt.timedelta(hours=1)) == 1
    assert Message.objects.get(pk=message.pk).status == Message.Status.FAILED
    assert calls == [message.pk]


def test_delivered_message_is_not_sent_again(system_actor, in_app, consenting_member):
    message = sending.compose(system_actor, channel=in_app, member=consenting_member, body="积分到账", enqueue=False)
    first = sending.deliver(message.pk)
    assert first.status == Message.Status.DELIVERED
    assert sending.deliver(message.pk).delivered_at == first.delivered_at


def test_dedupe_key_returns_the_first_message(system_actor, in_app, consenting_member):
    one = sending.compose(system_actor, channel=in_app, member=consenting_member, body="a", dedupe_key="c1:m1",
                          enqueue=False)
    two = sending.compose(system_actor, channel=in_app, member=consenting_member, body="b", dedupe_key="c1:m1",
                          enqueue=False)
    assert one.pk == two.pk and Message.objects.count() == 1


def test_short_link_click_is_recorded_for_the_member(system_actor, in_app, promo, consenting_member):
    message = sending.compose(system_actor, channel=in_app, member=consenting_member, template=promo, enqueue=False)
    assert "shop.example.com" not in message.body
    path = message.body.split("http://localhost:8000", 1)[1]
    assert path.startswith("/l/")
    response = Client().get(path, HTTP_USER_AGENT="Mozilla/5.0")
    assert response.status_code == 302 and response["Location"] == "https://shop.example.com/d/8"
    click = LinkClick.objects.get()
    assert click.member_id == consenting_member.pk
    assert Message.objects.get(pk=message.pk).clicked_at is not None
    assert Client().get("/l/nosuchcd").status_code == 404


def test_email_unsubscribe_link_withdraws_marketing_consent(system_actor, email_channel, consenting_member,
                                                            smtp_server):
    from shequn.messaging.consent import set_email

    set_email(system_actor, consenting_member, "xiaohong@example.com")
    message = sending.compose(system_actor, channel=email_channel, member=consenting_member, subject="双 11 预告",
                              body="会员专享价抢先看", purpose="marketing", enqueue=False)
    url = message.body.rsplit(": ", 1)[1].strip()
    path = url.removeprefix("http://localhost:8000")
    client = Client()
    assert client.get(path).status_code == 200
    assert current_consents(consenting_member)["marketing"] is True  # opening the page changes nothing
    assert client.post(path).status_code == 200
    assert current_consents(consenting_member)["marketing"] is False
    assert sending.deliver(message.pk).status == Message.Status.CANCELLED
    assert Client().post("/u/forged-token/").status_code == 400


@pytest.mark.parametrize("reply", ["退订", "TD", " t ", "回T退订"[1:2]])
def test_sms_reply_unsubscribe_withdraws_consent(system_actor, dev_sms, consenting_member, reply):
    client = Client()
    url = f"/hooks/sms/{dev_sms.callback_token}/"
    body = [{"phone_number": consenting_member.phone, "content": reply, "send_time": "2026-11-23 10:00:00",
             "dest_code": "1234", "sequence_id": 1}]
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["code"] == 0
    assert current_consents(consenting_member)["marketing"] is False


def test_sms_reply_that_is_not_unsubscribe_keeps_consent(dev_sms, consenting_member):
    response = Client().post(f"/hooks/sms/{dev_sms.callback_token}/",
                             {"mobile": consenting_member.phone, "nationcode": "86", "text": "好的谢谢", "time": 1},
                             content_type="application/json")
    assert response.status_code == 200
    assert current_consents(consenting_member)["marketing"] is True
    assert Client().post("/hooks/sms/wrong-token/", {}, content_type="application/json").status_code == 404
