"""Property tests for the VdB and VOIPZeker parsers and the shared normalisers.

Whatever a server (or a user) sends, nothing may raise but the clients' own typed errors.
The newer providers have theirs beside their client tests.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.hosted_pbx.api import vdb, voipzeker
from custom_components.hosted_pbx.api.errors import InvalidResponse, ProviderError
from custom_components.hosted_pbx.api.http import HttpResponse, parse_json
from custom_components.hosted_pbx.api.phone import parse_number, parse_own_number

EXAMPLES = settings(max_examples=500, deadline=None)
_scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
_json = st.recursive(
    _scalar,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)
_keys = st.sampled_from(
    [
        "extension", "name", "number", "package", "credit_limit", "credit_available", "id",
        "extensions", "duration", "state", "direction", "caller_nr", "call_to", "status",
        "UID", "time_start", "time_end", "call_time", "from", "to", "answerd", "answered",
    ]
)  # fmt: skip
_rows = st.lists(st.dictionaries(_keys | st.text(max_size=6), _scalar, max_size=6), max_size=5)


def _typed(call: Any, *args: Any) -> None:
    """Call a parser: its own typed errors are fine, anything else fails the test."""
    with contextlib.suppress(ProviderError):
        call(*args)


@EXAMPLES
@given(_rows)
def test_vdb_parsers(rows: list[dict[str, Any]]) -> None:
    for parse in (vdb.parse_extensions, vdb.parse_numbers, vdb.parse_queues, vdb.parse_cdr):
        _typed(parse, rows)
    _typed(vdb.parse_live_call, "1201", rows)
    _typed(vdb.parse_queue, "7", rows)


@EXAMPLES
@given(_scalar | st.sampled_from(["1", "0", " 1", "0 "]), _scalar)
def test_vdb_cdr_answered_either_spelling(flag: Any, call_time: Any) -> None:
    """The provider's "answerd" and a corrected "answered" read alike; 1 is yes, 0 no."""
    row = {"UID": "u", "call_time": call_time}
    try:
        typo = vdb.parse_cdr([{**row, "answerd": flag}])
    except ProviderError:
        return
    assert typo == vdb.parse_cdr([{**row, "answered": flag}])
    if str(flag).strip() in ("1", "0"):
        assert typo[0].answered is (str(flag).strip() == "1")


@EXAMPLES
@given(st.text(max_size=200))
def test_json_bodies(text: str) -> None:
    _typed(parse_json, text)


@EXAMPLES
@given(_json, st.sampled_from([200, 400, 401, 403, 404, 413, 429]))
def test_voipzeker_answers(body: Any, status: int) -> None:
    import json

    _typed(voipzeker._check, HttpResponse(status, json.dumps(body)), ["secret"])


@EXAMPLES
@given(st.dictionaries(st.text(max_size=15), st.text(max_size=40), max_size=10))
def test_voipzeker_webhook(fields: dict[str, str]) -> None:
    assert voipzeker.parse_webhook_event(fields, {"1234*0200"}) is None or fields


@EXAMPLES
@given(st.text(max_size=40), st.sampled_from(["NL", "BE", "CA"]))
def test_number_normalisers(raw: str, region: str) -> None:
    _typed(parse_number, raw, region)
    _typed(parse_own_number, raw, region)
    _typed(voipzeker.normalize_invitation, raw)
    _typed(vdb.validate_sms, raw)


_phone_text = st.from_regex(r"\+?(00)?[0-9 ()./-]{0,16}", fullmatch=True)
_phonebook_value = _json | _phone_text | st.text(max_size=200) | st.integers(0, 10**12)
_documented: dict[str, st.SearchStrategy[Any]] = {
    "phonenumber_formats": st.dictionaries(
        st.sampled_from(["E164", "National", "ITU"]), _phonebook_value, max_size=3
    ),
    "phonenumber": _phone_text | st.lists(_phone_text, max_size=12),
}
_phonebook_row = st.dictionaries(
    st.sampled_from(
        ["name", "lastname", "companyname", "phonenumber", "phonenumbers", "id", "extensionid"]
    )
    | st.text(max_size=6),
    _phonebook_value | st.lists(_phonebook_value | _phone_text, max_size=12),
    max_size=7,
) | st.fixed_dictionaries({"name": st.text(max_size=200)}, optional=_documented)


@EXAMPLES
@given(st.lists(_phonebook_row | _json, max_size=5) | _json, _json)
def test_voipzeker_phonebook(data: Any, pagination: Any) -> None:
    """Whatever listphonebookitems answers: InvalidResponse or bounded, well-formed contacts."""
    body = {"status": True, "data": data, "pagination": pagination}
    try:
        rows, _, _ = voipzeker._page(body)
    except InvalidResponse:
        return
    contacts = voipzeker.parse_phonebook(rows)
    assert len(contacts) <= len(rows)
    for contact in contacts:
        assert 0 < len(contact.name) <= voipzeker.MAX_NAME
        assert contact.name == contact.name.strip()
        assert all(char.isprintable() for char in contact.name)
        assert 0 < len(contact.numbers) <= voipzeker.MAX_CONTACT_NUMBERS
        for number in contact.numbers:
            assert re.fullmatch(r"\+[1-9][0-9]{5,15}|[0-9*#]{1,32}", number), number
    names = voipzeker.contacts_by_number(contacts)
    assert set(names) == {number for contact in contacts for number in contact.numbers}
