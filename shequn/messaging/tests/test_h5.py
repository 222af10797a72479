import pytest
from django.test import Client

from shequn.members.services import current_consents
from shequn.messaging import sending
from shequn.messaging.models import ChannelOptOut, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(consenting_member):
    client = Client()
    session = client.session
    session["member_id"] = consenting_member.pk
    session.save()
    return client


def test_inbox_lists_unread_then_reading_marks_it(system_actor, in_app, consenting_member, member_client):
    message = sending.deliver(sending.compose(system_actor, channel=in_app, member=consenting_member,
                                              subject="积分到账", body="您获得 100 积分", enqueue=False).pk)
    card = member_client.get("/m/").content.decode()
    assert "data-unread-badge" in card
    page = member_client.get("/m/inbox/").content.decode()
    assert "积分到账" in page and 'data-unread="1"' in page
    detail = member_client.get(f"/m/inbox/{message.pk}/")
    assert "您获得 100 积分" in detail.content.decode()
    message.refresh_from_db()
    assert message.read_at is not None and message.opened_at is not None
    assert 'data-unread="0"' in member_client.get("/m/inbox/").content.decode()


def test_another_members_message_is_not_found(system_actor, in_app, make_member, store, member_client):
    other = make_member(store=store)
    message = sending.deliver(sending.compose(system_actor, channel=in_app, member=other, body="私信",
                                              enqueue=False).pk)
    assert member_client.get(f"/m/inbox/{message.pk}/").status_code == 404
    assert Message.objects.get(pk=message.pk).read_at is None


def test_preferences_turn_marketing_off_and_one_channel_off(consenting_member, member_client):
    response = member_client.post("/m/notifications/", {"marketing": "1", "kind_in_app": "1", "kind_email": "1",
                                                        "email": "hong@example.com"})
    assert response.status_code == 302
    assert list(ChannelOptOut.objects.values_list("kind", flat=True)) == ["sms"]
    assert consenting_member.email_address.email_masked == "ho***@example.com"
    member_client.post("/m/notifications/", {})
    assert current_consents(consenting_member)["marketing"] is False
    bad = member_client.post("/m/notifications/", {"marketing": "1", "email": "not-an-email"})
    assert bad.status_code == 422 and "请输入正确的邮箱地址" in bad.content.decode()
