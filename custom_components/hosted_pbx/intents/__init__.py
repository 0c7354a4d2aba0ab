"""Assist intents: call, do-not-disturb, credit and queue callers for this integration.

The handlers only look at the integration's own devices (extensions, numbers, queues of
loaded accounts), found by the name the user says. Sentences for Home Assistant's own
agent ship in ``custom_sentences/<language>/hosted_pbx.yaml`` at the repository root;
LLM agents use the handlers' descriptions and slot schemas directly.

Every answer, errors included, is speech in the language of the request (English or
Dutch): a failure is an error response with a short sentence, never an exception that
the default agent would turn into "an unexpected error occurred".
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import intent

from .call import CallIntent
from .credit import CreditIntent
from .do_not_disturb import DoNotDisturbIntent
from .queue_callers import QueueIntent


@callback
def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the integration's intents (once, from async_setup)."""
    for handler in (CallIntent(), DoNotDisturbIntent(), CreditIntent(), QueueIntent()):
        intent.async_register(hass, handler)
