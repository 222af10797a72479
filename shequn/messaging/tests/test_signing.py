"""Signing checked against the worked examples in the providers' documentation."""

from shequn.messaging.channels.signing import (
    aliyun_signature,
    aliyun_string_to_sign,
    tc3_authorization,
    tc3_canonical_request,
    tc3_signature,
    tc3_string_to_sign,
)

# Alibaba Cloud "RPC signature" documentation: DescribeRegions, AccessKeySecret testsecret.
ALIYUN_RPC = {"Timestamp": "2016-02-23T12:46:24Z", "Format": "XML", "AccessKeyId": "testid",
              "Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Version": "2014-05-26",
              "SignatureVersion": "1.0"}

# Dysmsapi SendSms documentation example, AccessKeySecret testSecret.
ALIYUN_SEND_SMS = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
                   "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
                   "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
                   "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
                   "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
                   "Version": "2017-05-25"}


def test_aliyun_rpc_documented_example():
    assert aliyun_string_to_sign("GET", ALIYUN_RPC) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26")
    assert aliyun_signature("GET", ALIYUN_RPC, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aliyun_send_sms_documented_example_with_chinese_sign_name():
    assert aliyun_string_to_sign("GET", ALIYUN_SEND_SMS).startswith(
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
        "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C")
    assert aliyun_signature("GET", ALIYUN_SEND_SMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_signature("GET", {**ALIYUN_SEND_SMS, "Signature": "old"}, "testSecret") == \
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_signature_depends_on_the_method():
    assert aliyun_signature("POST", ALIYUN_RPC, "testsecret") != "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


# Tencent Cloud "Signature v3" documentation: CVM DescribeInstances, timestamp 1551113065.
TC3_PAYLOAD = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'


def test_tencent_tc3_documented_example():
    canonical = tc3_canonical_request("cvm.tencentcloudapi.com", TC3_PAYLOAD)
    assert canonical == ("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
                         "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    string_to_sign = tc3_string_to_sign(1551113065, "cvm", canonical)
    assert string_to_sign == ("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
                              "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    assert tc3_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", 1551113065, "cvm", string_to_sign) == \
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    assert tc3_authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                             service="cvm", host="cvm.tencentcloudapi.com", payload=TC3_PAYLOAD,
                             timestamp=1551113065) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")


def test_tc3_date_is_the_utc_date_of_the_timestamp():
    # 2019-02-26 00:44:25 in Beijing is still 2019-02-25 in UTC
    assert "2019-02-25/sms/tc3_request" in tc3_string_to_sign(1551113065, "sms", "x")
