"""The intent responses: spoken answers, and errors spoken instead of raised."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent, translation

from ..const import DOMAIN
from .speech import say


def error_response(intent_obj: intent.Intent, text: str) -> intent.IntentResponse:
    """An error answer with a sentence to speak (never an exception)."""
    response = intent_obj.create_response()
    response.async_set_error(intent.IntentResponseErrorCode.NO_VALID_TARGETS, text)
    return response


def spoken_response(intent_obj: intent.Intent, text: str) -> intent.IntentResponse:
    """An answer that speaks ``text``."""
    response = intent_obj.create_response()
    response.async_set_speech(text)
    return response


async def failure_response(
    intent_obj: intent.Intent, language: str, err: HomeAssistantError
) -> intent.IntentResponse:
    """A failed action as a spoken error, in the request's language where we can."""
    text = str(err)
    if err.translation_domain == DOMAIN and err.translation_key:
        messages = await translation.async_get_translations(
            intent_obj.hass, language, "exceptions", {DOMAIN}
        )
        message = messages.get(f"component.{DOMAIN}.exceptions.{err.translation_key}.message")
        if message:
            try:
                text = message.format(**(err.translation_placeholders or {}))
            except (KeyError, IndexError, ValueError):
                text = message
    response = intent_obj.create_response()
    response.async_set_error(
        intent.IntentResponseErrorCode.FAILED_TO_HANDLE, text or say(language, "failed")
    )
    return response
