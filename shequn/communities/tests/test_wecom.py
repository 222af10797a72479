import base64
import hashlib
import os
import struct
import time

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.test import Client, override_settings

from shequn.communities import wecom
from shequn.communities.models import Group, GroupEvent

TOKEN = "QDG6eK"
CORP_ID = "wx5823bf96d3bd56c7"


def _new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def independent_encrypt(key43: str, corp_id: str, message: str) -> str:
    """WeCom's scheme written out again from the primitives, to check wecom.py against."""
    key = base64.b64decode(key43 + "=")
    body = message.encode()
    plain = os.urandom(16) + struct.pack(">I", len(body)) + body + corp_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def independent_decrypt(key43: str, encrypt: str) -> tuple[str, str]:
    key = base64.b64decode(key43 + "=")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(base64.b64decode(encrypt)) + dec.finalize()
    plain = plain[:-plain[-1]]
    (n,) = struct.unpack(">I", plain[16:20])
    return plain[20:20 + n].decode(), plain[20 + n:].decode()


def independent_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@pytest.fixture
def key():
    return _new_key()


@pytest.fixture
def crypto(key):
    return wecom.WeComCrypto(TOKEN, key, CORP_ID)


def test_round_trip_and_independent_implementation_agree(crypto, key):
    message = "<xml><Content>你好，社群</Content></xml>"
    assert crypto.decrypt(crypto.encrypt(message)) == message
    assert crypto.decrypt(independent_encrypt(key, CORP_ID, message)) == message
    assert independent_decrypt(key, crypto.encrypt(message)) == (message, CORP_ID)
    assert wecom.signature(TOKEN, "1", "n", "e") == independent_signature(TOKEN, "1", "n", "e")


@pytest.mark.parametrize("length", [0, 1, 11, 12, 13, 43, 44, 45, 100])
def test_padding_fills_whole_32_byte_blocks(crypto, length):
    encrypted = base64.b64decode(crypto.encrypt("x" * length))
    assert len(encrypted) % 32 == 0
    assert crypto.decrypt(base64.b64encode(encrypted).decode()) == "x" * length


def test_tampered_ciphertext_is_refused(crypto):
    raw = bytearray(base64.b64decode(crypto.encrypt("<xml>hello</xml>")))
    raw[-20] ^= 0x01
    with pytest.raises(wecom.BadMessage):
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())


def test_message_for_another_corp_is_refused(crypto, key):
    with pytest.raises(wecom.BadMessage):
        crypto.decrypt(independent_encrypt(key, "other-corp", "<xml/>"))


def test_wrong_key_is_refused(crypto):
    with pytest.raises(wecom.BadMessage):
        crypto.decrypt(independent_encrypt(_new_key(), CORP_ID, "<xml>hello there</xml>"))


def test_bad_signature_is_refused(crypto):
    echostr = crypto.encrypt("12345")
    with pytest.raises(wecom.BadSignature):
        crypto.verify_url("0" * 40, "1", "n", echostr)


@pytest.fixture
def configured(key):
    with override_settings(WECOM_TOKEN=TOKEN, WECOM_AES_KEY=key, WECOM_CORP_ID=CORP_ID):
        yield


def _signed_query(key, encrypt):
    ts, nonce = str(int(time.time())), "nonce42"
    return {"msg_signature": independent_signature(TOKEN, ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}


def test_url_verification_answers_the_decrypted_echostr(db, configured, key):
    echostr = independent_encrypt(key, CORP_ID, "8374623984726")
    query = _signed_query(key, echostr) | {"echostr": echostr}
    response = Client().get("/api/v1/wecom/callback", query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"8374623984726"


def test_url_verification_with_bad_signature_is_403_problem(db, configured, key):
    echostr = independent_encrypt(key, CORP_ID, "8374623984726")
    query = _signed_query(key, echostr) | {"echostr": echostr, "nonce": "changed"}
    response = Client().get("/api/v1/wecom/callback", query)
    assert response.status_code == 403
    assert response.json()["type"] == "wecom-bad-signature"


def test_not_configured_is_404(db):
    with override_settings(WECOM_TOKEN="", WECOM_AES_KEY="", WECOM_CORP_ID=""):
        response = Client().get("/api/v1/wecom/callback", {"msg_signature": "x", "timestamp": "1",
                                                          "nonce": "n", "echostr": "abc"})
    assert response.status_code == 404 and response.json()["type"] == "wecom-not-configured"


def _post(key, inner_xml, *, tamper=False):
    encrypt = independent_encrypt(key, CORP_ID, inner_xml)
    query = _signed_query(key, encrypt)
    if tamper:
        raw = bytearray(base64.b64decode(encrypt))
        raw[5] ^= 0xFF
        encrypt = base64.b64encode(bytes(raw)).decode()
    body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    from urllib.parse import urlencode

    return Client().post(f"/api/v1/wecom/callback?{urlencode(query)}", body, content_type="text/xml")


def _group_message(msg_id="7001", sender="wmUser1", chat="wrChat01"):
    return (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>{sender}</FromUserName>"
            f"<CreateTime>{int(time.time()) - 60}</CreateTime><MsgType>text</MsgType><Content>早上好</Content>"
            f"<MsgId>{msg_id}</MsgId><ChatId>{chat}</ChatId></xml>")


def test_group_message_becomes_one_event_by_chat_id(db, configured, key, store, make_member):
    group = Group.objects.create(name="企微群", store=store, external_chat_id="wrChat01")
    member = make_member(store=store, external_id="wmUser1")
    response = _post(key, _group_message())
    assert response.status_code == 200 and response.content == b"success"
    event = GroupEvent.objects.get()
    assert (event.group_id, event.member_id, event.kind, event.source) == (group.pk, member.pk, "message", "wecom")
    _post(key, _group_message())  # WeCom retries: still one event
    assert GroupEvent.objects.count() == 1


def test_member_change_event_is_recorded(db, configured, key, store):
    group = Group.objects.create(name="企微群", store=store, external_chat_id="wrChat02")
    inner = (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>sys</FromUserName>"
             f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType><Event>change_external_chat</Event>"
             "<ChatId>wrChat02</ChatId><ChangeType>update</ChangeType><UpdateDetail>add_member</UpdateDetail>"
             "<MemChangeList><Item>wmA</Item><Item>wmB</Item></MemChangeList></xml>")
    assert _post(key, inner).status_code == 200
    event = GroupEvent.objects.get()
    assert (event.group_id, event.kind, event.payload["wecom_users"]) == (group.pk, "join", ["wmA", "wmB"])


def test_unknown_chat_is_acknowledged_and_ignored(db, configured, key):
    assert _post(key, _group_message(chat="nobody")).status_code == 200
    assert not GroupEvent.objects.exists()


def test_tampered_post_is_refused(db, configured, key, store):
    Group.objects.create(name="企微群", store=store, external_chat_id="wrChat01")
    response = _post(key, _group_message(), tamper=True)
    assert response.status_code == 403
    assert not GroupEvent.objects.exists()


def test_xml_entities_are_refused(crypto):
    with pytest.raises(wecom.BadMessage):
        wecom.parse_xml('<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>')
