"""One exception hierarchy for every provider client.

Messages never contain credentials, tokens or full request URLs: they are safe to log
and to show to users.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class for everything a provider client raises."""


class AuthError(ProviderError):
    """The provider refused the credentials (or a token derived from them)."""


class QuotaExceeded(ProviderError):
    """Too many requests: nothing may be sent for ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        """Store how long the caller must wait."""
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """The provider could not be reached: timeout, connection error or HTTP 5xx."""


class InvalidResponse(ProviderError):
    """The provider answered something we cannot read (HTML, truncated JSON...)."""


class InvalidRequest(ProviderError):
    """The request was refused as invalid, or was rejected before it was sent."""

    def __init__(self, message: str, reason: str = "invalid_request", **details: str) -> None:
        """Keep a machine-readable reason and details for translated errors."""
        super().__init__(message)
        self.reason = reason
        self.details = details
