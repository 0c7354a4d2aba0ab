"""Phone numbers are dialled exactly as typed, or refused before anything is sent (issue 9)."""

from __future__ import annotations

import pytest

from custom_components.hosted_pbx.api.errors import ErrorReason, InvalidRequest
from custom_components.hosted_pbx.api.phone import (
    dialled_digits,
    international_digits,
    parse_number,
    parse_own_number,
)
from custom_components.hosted_pbx.api.vdb import SENDER_PATTERN


@pytest.mark.parametrize(
    "typed",
    [
        "0612ABCDEF",  # letters are not turned into keypad digits
        "0612345678 ext 12",  # an extension suffix is not sent on
        "0612345678;12",
        "06-1234-5678x3",
        "\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",  # full-width digits
    ],
)
def test_what_cannot_be_dialled_as_typed_is_refused(typed: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_number(typed, "NL")
    assert err.value.reason is ErrorReason.INVALID_NUMBER


@pytest.mark.parametrize("typed", ["0900 1234567", "0906 1234567", "0909 1234567"])
def test_premium_numbers_need_permission(typed: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_number(typed, "NL")
    assert err.value.reason is ErrorReason.PREMIUM_NUMBER
    assert parse_number(typed, "NL", allow_premium=True)


def test_070_is_not_premium() -> None:
    assert dialled_digits(parse_number("070 123 4567", "NL")) == "0701234567"


@pytest.mark.parametrize(
    ("typed", "dialled"),
    [
        ("06 1234 5678", "0612345678"),
        ("+31 6 12345678", "0612345678"),
        ("0032 470 12 34 56", "0032470123456"),
        ("(020) 123-4567", "0201234567"),
    ],
)
def test_what_people_type(typed: str, dialled: str) -> None:
    assert dialled_digits(parse_number(typed, "NL")) == dialled


def test_an_account_number_is_read_as_international_first() -> None:
    # A Belgian account number listed without "+" under an NL default region.
    assert international_digits(parse_own_number("32470123456", "NL")) == "32470123456"
    assert international_digits(parse_own_number("0201234567", "NL")) == "31201234567"


@pytest.mark.parametrize(
    "sender", ["\uff11\uff12\uff13\uff14\uff15", "Kantoor\u0661", "Bedrijf B.V.", "A" * 12]
)
def test_sms_sender_is_plain_ascii(sender: str) -> None:
    assert SENDER_PATTERN.match(sender) is None


@pytest.mark.parametrize("sender", ["Kantoor", "31201234567", "+31201234567"])
def test_valid_senders(sender: str) -> None:
    assert SENDER_PATTERN.match(sender) is not None
