"""Client errors as translated Home Assistant errors: one table for every caller.

Each typed reason has a translation key and says whether it is the user's own mistake
(a ``ServiceValidationError``: fix the input) or the provider's doing (a
``HomeAssistantError``). The config flow, the coordinator, switches and actions all
map through here; a test walks ``ErrorReason`` against ``strings.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api.errors import ErrorReason, ProviderError, QuotaExceeded
from .const import DOMAIN

# The user's own input: they can fix it and try again.
USER_MISTAKES = frozenset(
    {
        ErrorReason.INVALID_NUMBER,
        ErrorReason.PREMIUM_NUMBER,
        ErrorReason.NOT_MOBILE,
        ErrorReason.SMS_LENGTH,
        ErrorReason.SMS_INVALID_CHARACTERS,
        ErrorReason.INVALID_SENDER,
        ErrorReason.INVALID_INVITATION,
        ErrorReason.INVALID_URL,
        ErrorReason.UNKNOWN_EXTENSION,
        ErrorReason.UNKNOWN_QUEUE,
        ErrorReason.UNKNOWN_SWITCH,
        ErrorReason.NO_ACTIVE_CALL,
    }
)

# The form error a config flow shows for each reason; anything else is "unknown".
FORM_ERRORS: dict[ErrorReason, str] = {
    ErrorReason.AUTH: "invalid_auth",
    ErrorReason.PERMISSION: "permission",
    ErrorReason.NOT_ALLOWED: "permission",
    ErrorReason.IP_NOT_ALLOWED: "ip_not_allowed",
    ErrorReason.QUOTA: "rate_limited",
    ErrorReason.UNAVAILABLE: "cannot_connect",
    ErrorReason.REFUSED: "cannot_connect",
    ErrorReason.INVALID_RESPONSE: "cannot_connect",
    ErrorReason.CLOCK_SKEW: "clock_skew",
    ErrorReason.INVALID_INVITATION: "invalid_invitation",
    ErrorReason.INVALID_URL: "invalid_url",
    ErrorReason.INVALID_NUMBER: "invalid_number",
    ErrorReason.INVALID_REQUEST: "invalid_input",
}


def error_translation(err: ProviderError) -> tuple[str, dict[str, str]]:
    """The translation key and placeholders describing a client error.

    Every message has an ``error`` placeholder (the client's safe text) and the details
    the client gave; ``status`` defaults to it so a refusal never shows ``{status}``.
    """
    placeholders = {"error": str(err), "status": str(err), **err.details}
    if isinstance(err, QuotaExceeded):
        placeholders["retry_after"] = str(round(err.retry_after))
    return err.reason.value, placeholders


def as_ha_error(err: ProviderError) -> HomeAssistantError:
    """Bad input is the caller's to fix; everything else is the provider's doing."""
    key, placeholders = error_translation(err)
    kind = ServiceValidationError if err.reason in USER_MISTAKES else HomeAssistantError
    return kind(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def form_error(err: ProviderError) -> str:
    """The config flow's error key for a client error."""
    return FORM_ERRORS.get(err.reason, "unknown")


def provider_errors[**P, R](
    func: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Decorate actions and switch commands: client errors become translated errors."""

    @wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(*args, **kwargs)
        except ProviderError as err:
            raise as_ha_error(err) from err

    return wrapper
