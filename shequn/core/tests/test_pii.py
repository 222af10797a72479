"""Personal data: AES-GCM at rest, keyed blind index for look-ups, masking; CN mobiles."""

import pytest
from cryptography.exceptions import InvalidTag
from django.test import override_settings

from shequn.core import pii
from shequn.core.phones import InvalidPhone, normalise_cn_mobile


def test_encrypt_round_trips_and_never_stores_plaintext():
    token = pii.encrypt("13812341234")
    assert token.startswith("v1:") and "13812341234" not in token
    assert pii.decrypt(token) == "13812341234"
    assert pii.encrypt("13812341234") != token  # a fresh nonce each time
    assert pii.decrypt("") == ""


def test_ciphertext_is_authenticated():
    token = pii.encrypt("13812341234")
    version, _, data = token.partition(":")
    tampered = f"{version}:{data[:-4]}{'A' if data[-4] != 'A' else 'B'}{data[-3:]}"
    with pytest.raises(InvalidTag):
        pii.decrypt(tampered)


def test_a_different_key_can_neither_decrypt_nor_match():
    token, index = pii.encrypt("13812341234"), pii.blind_index("13812341234")
    with override_settings(PII_KEY="another-key"):
        with pytest.raises(InvalidTag):
            pii.decrypt(token)
        assert pii.blind_index("13812341234") != index


def test_blind_index_is_deterministic_and_keyed():
    a = pii.blind_index("13812341234")
    assert a == pii.blind_index("13812341234")
    assert a != pii.blind_index("13812341235")
    assert len(a) == 64 and "1381234" not in a
    import hashlib

    assert a != hashlib.sha256(b"13812341234").hexdigest()  # not a plain, guessable hash


def test_mask_phone():
    assert pii.mask_phone("13812341234") == "138****1234"
    assert pii.mask_phone("12345") == "*****"


@pytest.mark.parametrize("raw", [
    "13800138000", "+86 138 0013 8000", "+8613800138000", "8613800138000", "138-0013-8000", " 138 0013 8000 ",
    "１３８００１３８０００",
])
def test_normalise_cn_mobile(raw):
    assert normalise_cn_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw, why", [
    ("", "empty"), ("abc", "not a phone number"), ("12345", "not a valid"), ("1380013800", "not a valid"),
    ("+1 415 555 0100", "not a mainland China number"), ("+852 6123 4567", "not a mainland China number"),
    ("010-12345678", "not a mobile number"), ("021 6123 4567", "not a mobile number"),
])
def test_invalid_or_landline_numbers_are_refused(raw, why):
    with pytest.raises(InvalidPhone, match=why):
        normalise_cn_mobile(raw)
