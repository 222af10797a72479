import hashlib
import hmac
import re

import pytest

from shequn.messaging.webhooks.signing import SignatureError, compute, header, new_secret, verify

BODY = '{"id":"evt_1","type":"member.created","data":{"name":"王小雨"}}'.encode()


def test_secret_is_32_random_bytes_with_a_prefix():
    secret = new_secret()
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", secret)
    assert new_secret() != secret


def test_header_is_t_then_v1_hmac_of_timestamp_dot_body():
    value = header(["whsec_test"], BODY, timestamp=1_700_000_000)
    expected = hmac.new(b"whsec_test", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert value == f"t=1700000000,v1={expected}"
    assert compute("whsec_test", 1_700_000_000, BODY) == expected


def test_verify_accepts_a_fresh_signature_and_returns_its_time():
    value = header(["whsec_test"], BODY, timestamp=1_700_000_000)
    assert verify("whsec_test", value, BODY, now=1_700_000_100) == 1_700_000_000


@pytest.mark.parametrize("secret, body, now", [
    ("whsec_other", BODY, 1_700_000_000),  # wrong secret
    ("whsec_test", BODY + b" ", 1_700_000_000),  # body changed after signing
    ("whsec_test", BODY, 1_700_000_301),  # older than the 5-minute tolerance
    ("whsec_test", BODY, 1_699_999_699),  # from the future beyond the tolerance
])
def test_verify_rejects(secret, body, now):
    value = header(["whsec_test"], BODY, timestamp=1_700_000_000)
    with pytest.raises(SignatureError):
        verify(secret, value, body, now=now)


@pytest.mark.parametrize("value", ["", "t=abc,v1=00", "v1=00", "t=1700000000", "garbage"])
def test_verify_rejects_malformed_headers(value):
    with pytest.raises(SignatureError):
        verify("whsec_test", value, BODY, now=1_700_000_000)


def test_during_a_rotation_either_secret_verifies():
    value = header(["whsec_new", "whsec_old"], BODY, timestamp=1_700_000_000)
    assert value.count("v1=") == 2
    assert verify("whsec_new", value, BODY, now=1_700_000_000)
    assert verify("whsec_old", value, BODY, now=1_700_000_000)
    with pytest.raises(SignatureError):
        verify("whsec_neither", value, BODY, now=1_700_000_000)


def test_zero_tolerance_skips_the_age_check():
    value = header(["whsec_test"], BODY, timestamp=1_000)
    assert verify("whsec_test", value, BODY, tolerance=0, now=2_000_000_000) == 1_000
