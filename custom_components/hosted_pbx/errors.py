"""Client errors as translated Home Assistant errors, in one place."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api.errors import (
    AuthError,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
)
from .const import DOMAIN


def error_translation(err: ProviderError) -> tuple[str, dict[str, str]]:
    """The translation key and placeholders describing a client error."""
    if isinstance(err, AuthError):
        return "auth_failed", {}
    if isinstance(err, QuotaExceeded):
        return "rate_limited", {"retry_after": str(round(err.retry_after))}
    if isinstance(err, ProviderUnavailable):
        return "provider_unavailable", {"error": str(err)}
    if isinstance(err, InvalidResponse):
        return "invalid_response", {"error": str(err)}
    if isinstance(err, InvalidRequest):
        return err.reason, {"error": str(err), **err.details}
    return "unknown_error", {"error": str(err)}


def as_ha_error(err: ProviderError) -> HomeAssistantError:
    """Bad input is the caller's to fix; everything else is the provider's doing."""
    key, placeholders = error_translation(err)
    kind = HomeAssistantError
    if isinstance(err, InvalidRequest) and err.reason != "refused":
        kind = ServiceValidationError
    return kind(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


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
