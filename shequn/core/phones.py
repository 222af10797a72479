"""Chinese mobile numbers: validate and normalise with phonenumbers."""

import phonenumbers


class InvalidPhone(ValueError):
    pass


def normalise_cn_mobile(raw: str) -> str:
    """Return the 11-digit national form of a valid CN mobile number."""
    text = (raw or "").strip().replace(" ", "").replace("-", "")
    if not text:
        raise InvalidPhone("phone number is empty")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {raw}") from exc
    if number.country_code != 86:
        raise InvalidPhone(f"not a mainland China number: {raw}")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid mobile number: {raw}")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhone(f"not a mobile number: {raw}")
    return str(number.national_number)
