"""Phone numbers as people type them, in the forms providers ask for."""

from __future__ import annotations

import phonenumbers

from .errors import InvalidRequest

DEFAULT_REGION = "NL"


def parse_number(raw: str, region: str = DEFAULT_REGION) -> phonenumbers.PhoneNumber:
    """Parse ``06 1234 5678``, ``+31 6 12345678``, ``0031 6...`` into a valid number.

    Raises InvalidRequest (reason ``invalid_number``) before anything is sent.
    """
    text = raw.strip()
    if text.startswith("00"):
        # 00 is the international prefix in every region we serve.
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidRequest("Not a phone number", reason="invalid_number", number=raw) from err
    if not phonenumbers.is_valid_number(number):
        raise InvalidRequest("Not a valid phone number", reason="invalid_number", number=raw)
    return number


def international_digits(number: phonenumbers.PhoneNumber) -> str:
    """Country code and number without ``+``: ``31201234567``."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def dialled_digits(number: phonenumbers.PhoneNumber, region: str = DEFAULT_REGION) -> str:
    """What a phone in ``region`` dials: ``0612345678`` at home, ``0032...`` abroad."""
    if number.country_code == phonenumbers.country_code_for_region(region):
        return (
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            .replace(" ", "")
            .replace("-", "")
        )
    return "00" + international_digits(number)


def is_mobile(number: phonenumbers.PhoneNumber) -> bool:
    """Whether the number can receive text messages."""
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
