"""Phone numbers as people type them, in the forms providers ask for.

What is dialled is exactly what was typed: letters (vanity numbers), extension suffixes
and anything but digits, spaces and ``+ - . ( ) /`` are refused rather than converted,
and premium-rate numbers are refused unless the caller allows them.
"""

from __future__ import annotations

import re

import phonenumbers

from .errors import ErrorReason, InvalidRequest

DEFAULT_REGION = "NL"
# ASCII only: ``\d`` would accept any Unicode digit (Arabic-Indic, full-width ...).
_TYPED = re.compile(r"\+?[0-9 ()./-]{2,30}")
_PREMIUM = frozenset(
    {phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST}
)


def parse_number(
    raw: str, region: str = DEFAULT_REGION, *, allow_premium: bool = False
) -> phonenumbers.PhoneNumber:
    """Parse ``06 1234 5678``, ``+31 6 12345678``, ``0031 6...`` into a valid number.

    A number with a country code (``+`` or ``00``) is read as international whatever
    ``region`` says; ``region`` only applies to national numbers. Raises InvalidRequest
    (``invalid_number`` or ``premium_number``) before anything is sent.
    """
    text = raw.strip()
    if not _TYPED.fullmatch(text):
        raise InvalidRequest("Not a phone number", ErrorReason.INVALID_NUMBER, number=raw[:40])
    if text.startswith("00") and phonenumbers.country_code_for_region(region) != 1:
        # 00 is the international prefix in Europe; North America dials 011, which the
        # library reads itself.
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidRequest(
            "Not a phone number", ErrorReason.INVALID_NUMBER, number=raw[:40]
        ) from err
    if not phonenumbers.is_valid_number(number) or number.extension:
        raise InvalidRequest(
            "Not a valid phone number", ErrorReason.INVALID_NUMBER, number=raw[:40]
        )
    if not allow_premium and phonenumbers.number_type(number) in _PREMIUM:
        raise InvalidRequest(
            "Premium-rate numbers are not dialled", ErrorReason.PREMIUM_NUMBER, number=raw[:40]
        )
    return number


def parse_own_number(raw: str, region: str = DEFAULT_REGION) -> phonenumbers.PhoneNumber:
    """One of the account's own numbers as the provider lists it.

    Providers list them as international digits without ``+`` (``32470123456``); those
    are read as international first, and only then as national numbers of ``region``.
    """
    text = raw.strip()
    if text.isascii() and text.isdigit() and not text.startswith("0"):
        try:
            return parse_number("+" + text, region, allow_premium=True)
        except InvalidRequest:
            pass
    return parse_number(text, region, allow_premium=True)


def international_digits(number: phonenumbers.PhoneNumber) -> str:
    """Country code and number without ``+``: ``31201234567``."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def e164(number: phonenumbers.PhoneNumber) -> str:
    """``+31201234567``."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def readable(number: phonenumbers.PhoneNumber) -> str:
    """International and readable: ``+31 20 123 4567``."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def dialled_digits(number: phonenumbers.PhoneNumber, region: str = DEFAULT_REGION) -> str:
    """What a phone in ``region`` dials: ``0612345678`` at home, ``0032...`` abroad."""
    if number.country_code == phonenumbers.country_code_for_region(region):
        return "".join(
            char
            for char in phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            if char.isascii() and char.isdigit()
        )
    return "00" + international_digits(number)


def is_mobile(number: phonenumbers.PhoneNumber) -> bool:
    """Whether the number can receive text messages."""
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
