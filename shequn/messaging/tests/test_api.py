import pytest

from shequn.messaging.models import Channel, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel_id(api):
    response = api.post("/messaging/channels", {"name": "站内信", "kind": "in_app"})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_channel_secrets_are_sealed_and_never_returned(api):
    response = api.post("/messaging/channels", {"name": "阿里云短信", "kind": "sms", "provider": "aliyun", "settings": {
        "access_key_id": "LTAI5t", "access_key_secret": "very-secret", "sign_name": "社群会员"}})
    assert response.status_code == 201
    body = response.json()
    assert "very-secret" not in response.content.decode()
    assert body["secrets_set"] == ["access_key_secret"] and body["config"]["access_key_id"] == "LTAI5t"
    assert body["sms_reply_callback_url"].startswith("http://localhost:8000/hooks/sms/")
    channel = Channel.objects.get(pk=body["id"])
    assert "very-secret" not in channel.secrets_encrypted
    listed = api.get("/messaging/channels")
    assert "very-secret" not in listed.content.decode()
    # an edit without the secret keeps it
    patched = api.patch(f"/messaging/channels/{body['id']}", {"settings": {"sign_name": "社群"}})
    assert patched.status_code == 200 and patched.json()["secrets_set"] == ["access_key_secret"]
    from shequn.messaging.channels import open_secrets

    channel.refresh_from_db()
    assert open_secrets(channel) == {"access_key_secret": "very-secret"}


def test_channel_missing_required_setting_is_a_problem(api):
    response = api.post("/messaging/channels", {"name": "邮件", "kind": "email", "provider": "smtp",
                                                "settings": {"host": "smtp.example.com"}})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["field"] == "from_email"
    assert not Channel.objects.exists()


def test_template_with_unknown_variable_is_422_with_names(api, channel_id):
    response = api.post("/messaging/templates", {"channel_id": channel_id, "name": "生日", "purpose": "marketing",
                                                 "body_zh": "{{ member.name }} 生日快乐 {{ member.id_card }}"})
    assert response.status_code == 422
    assert response.json()["type"] == "unknown-template-variables"
    assert response.json()["unknown"] == ["member.id_card"]


def test_preview_and_send_then_the_member_messages(api, channel_id, make_member, store):
    member = make_member(store=store, name="李雷", consents={"marketing": True})
    template = api.post("/messaging/templates", {
        "channel_id": channel_id, "name": "积分", "purpose": "service", "subject_zh": "积分提醒",
        "body_zh": "{{ member.name }}，您有 {{ member.points }} 积分"}).json()
    assert template["variables"] == ["member.name", "member.points"]
    preview = api.post(f"/messaging/templates/{template['id']}/preview", {"member_id": member.pk})
    assert preview.status_code == 200 and preview.json()["body"] == "李雷，您有 0 积分"
    assert api.post("/messages", {"channel_id": channel_id, "member_id": member.pk,
                                  "template_id": template["id"]}).status_code == 400  # Idempotency-Key required
    sent = api.post("/messages", {"channel_id": channel_id, "member_id": member.pk, "template_id": template["id"]},
                    key="send-1")
    assert sent.status_code == 202 and sent.json()["status"] == "queued"
    again = api.post("/messages", {"channel_id": channel_id, "member_id": member.pk, "template_id": template["id"]},
                     key="send-1")
    assert again.json()["id"] == sent.json()["id"] and Message.objects.count() == 1
    listed = api.get(f"/members/{member.pk}/messages")
    assert [m["body"] for m in listed.json()["items"]] == ["李雷，您有 0 积分"]


def test_marketing_send_without_consent_is_409(api, channel_id, make_member, store):
    member = make_member(store=store, consents={"marketing": False})
    response = api.post("/messages", {"channel_id": channel_id, "member_id": member.pk, "body": "双 11 大促",
                                      "purpose": "marketing"}, key="m-1")
    assert response.status_code == 409 and response.json()["type"] == "no-marketing-consent"
    assert not Message.objects.exists()


def test_store_manager_sends_and_reads_only_their_members(api, api_as, channel_id, make_member, store, other_store):
    mine = make_member(store=store)
    theirs = make_member(store=other_store)
    manager = api_as("store_manager", stores=[store.code])
    assert manager.post("/messages", {"channel_id": channel_id, "member_id": mine.pk, "body": "到店自提提醒"},
                        key="a").status_code == 202
    assert manager.post("/messages", {"channel_id": channel_id, "member_id": theirs.pk, "body": "x"},
                        key="b").status_code == 404
    api.post("/messages", {"channel_id": channel_id, "member_id": theirs.pk, "body": "总部通知"}, key="c")
    assert [m["member_id"] for m in manager.get("/messages").json()["items"]] == [mine.pk]
    assert manager.get(f"/members/{theirs.pk}/messages").status_code == 404
    assert manager.post("/messaging/channels", {"name": "x", "kind": "in_app"}).status_code == 403
    robot = api.post("/messaging/channels", {"name": "店群机器人", "kind": "wecom_robot",
                                             "settings": {"webhook_key": "k"}}).json()
    refused = manager.post("/messages", {"channel_id": robot["id"], "body": "上新"}, key="e")
    assert refused.status_code == 403 and refused.json()["type"] == "group-send-denied"
    analyst = api_as("analyst")
    assert analyst.post("/messages", {"channel_id": channel_id, "member_id": mine.pk, "body": "x"},
                        key="d").status_code == 403
