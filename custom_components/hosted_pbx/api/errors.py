"""One exception hierarchy for every provider client, with a typed reason.

Messages never contain credentials, tokens or full request URLs: they are safe to log
and to show to users. ``reason`` says what went wrong in a machine-readable way and
``details`` carries the values a message may name (a number, a length, a status text).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorReason(StrEnum):
    """Why a client call failed. Every provider maps its own codes onto these."""

    # The account or the connection.
    AUTH = "auth"  # credentials (or a token derived from them) refused
    PERMISSION = "permission"  # credentials fine, but this endpoint is not allowed for them
    IP_NOT_ALLOWED = "ip_not_allowed"  # the provider only answers allow-listed addresses
    QUOTA = "quota"  # the provider's (or our own) request limit
    UNAVAILABLE = "unavailable"  # timeout, connection error, HTTP 5xx, maintenance
    INVALID_RESPONSE = "invalid_response"  # HTML, truncated JSON, an unexpected shape
    CLOCK_SKEW = "clock_skew"  # the provider refuses our timestamps
    # The caller's own input, refused before anything is sent (or by the provider).
    INVALID_NUMBER = "invalid_number"
    PREMIUM_NUMBER = "premium_number"
    NOT_MOBILE = "not_mobile"
    SMS_LENGTH = "sms_length"
    SMS_INVALID_CHARACTERS = "sms_invalid_characters"
    INVALID_SENDER = "invalid_sender"
    INVALID_INVITATION = "invalid_invitation"
    INVALID_URL = "invalid_url"
    INVALID_REQUEST = "invalid_request"
    # The provider's refusals of a valid request.
    REFUSED = "refused"  # ``details["status"]`` carries the provider's words
    NOT_ALLOWED = "not_allowed"
    NOT_SUPPORTED = "not_supported"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNKNOWN_EXTENSION = "unknown_extension"
    UNKNOWN_QUEUE = "unknown_queue"
    UNKNOWN_SWITCH = "unknown_switch"
    UNKNOWN_READ = "unknown_read"
    CALL_FAILED = "call_failed"  # a call could not be placed (busy, no credit ...)
    NO_ACTIVE_CALL = "no_active_call"


class ProviderError(Exception):
    """Base class for everything a provider client raises."""

    default_reason = ErrorReason.INVALID_REQUEST

    def __init__(self, message: str, reason: ErrorReason | None = None, **details: str) -> None:
        """Keep a typed reason and the details a translated message may name."""
        super().__init__(message)
        self.reason = reason or self.default_reason
        self.details = details


class AuthError(ProviderError):
    """The provider refused the credentials (or a token derived from them)."""

    default_reason = ErrorReason.AUTH


class PermissionDenied(ProviderError):
    """The credentials work, but not for this endpoint (an admin-only read, an IP list).

    Not an ``AuthError``: asking the user to sign in again cannot fix it.
    """

    default_reason = ErrorReason.PERMISSION


class QuotaExceeded(ProviderError):
    """Too many requests: nothing may be sent for ``retry_after`` seconds."""

    default_reason = ErrorReason.QUOTA

    def __init__(self, message: str, retry_after: float, **details: str) -> None:
        """Store how long the caller must wait."""
        super().__init__(message, ErrorReason.QUOTA, **details)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """The provider could not be reached: timeout, connection error or HTTP 5xx."""

    default_reason = ErrorReason.UNAVAILABLE


class InvalidResponse(ProviderError):
    """The provider answered something we cannot read (HTML, truncated JSON...)."""

    default_reason = ErrorReason.INVALID_RESPONSE


class InvalidRequest(ProviderError):
    """The request was refused as invalid, or was rejected before it was sent."""

    default_reason = ErrorReason.INVALID_REQUEST
