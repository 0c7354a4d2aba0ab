"""The repair issues of one account: raised when only the user can fix something.

Each is gone again once a read shows it fixed.

- ``quota_exceeded``: the provider said "too many" twice within an hour (something else
  uses the account's API);
- one per ``REASON_ISSUES`` fault (an address allow-list, a clock off);
- ``permission_missing``: an optional read the account may not do, switched off.
"""

from __future__ import annotations

import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .api import KnowsPublicIp, Provider
from .api.errors import ErrorReason, ProviderError
from .const import DOMAIN

# A second "too many" answer within this many seconds raises a repair issue.
REPEAT_WINDOW = 3600.0
# Faults the user fixes outside Home Assistant: a repair issue each, gone when reads work.
REASON_ISSUES = {
    ErrorReason.IP_NOT_ALLOWED: "ip_not_allowed",
    ErrorReason.CLOCK_SKEW: "clock_skew",
}


class AccountIssues:
    """Raises and clears the repair issues of one config entry."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, client: Provider) -> None:
        """Issues are named after the entry; the client finds the public address."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._quota_refusals: list[float] = []
        self._quota_raised = False
        self._reasons: set[ErrorReason] = set()

    def quota_refused(self) -> None:
        """The provider said "too many": the second time within the hour, say so."""
        now = time.monotonic()
        self._quota_refusals = [t for t in self._quota_refusals if now - t < REPEAT_WINDOW]
        self._quota_refusals.append(now)
        if len(self._quota_refusals) > 1:
            self._quota_raised = True
            self._create(
                self._quota_id, "quota_exceeded", ir.IssueSeverity.WARNING, {"title": self._title}
            )

    def fault(self, err: ProviderError) -> None:
        """A fault only the user can fix outside Home Assistant (``REASON_ISSUES``)."""
        if err.reason not in REASON_ISSUES:
            return
        placeholders = {"title": self._title, **err.details}
        if err.reason is ErrorReason.IP_NOT_ALLOWED and isinstance(self._client, KnowsPublicIp):
            self._entry.async_create_background_task(
                self._hass, self._async_ip_issue(placeholders), f"{DOMAIN} public address"
            )
        self._create_reason(err.reason, placeholders)

    def permission_missing(self, read_name: str) -> None:
        """An optional read was switched off: the account may not do it."""
        self._create(
            self._permission_id(read_name),
            "permission_missing",
            ir.IssueSeverity.WARNING,
            {"title": self._title, "read": read_name},
        )

    def read_worked(self, read_name: str) -> None:
        """A read went through: what it proves fixed is fixed."""
        # A read that works again (after a reload) needs no permission issue any more.
        ir.async_delete_issue(self._hass, DOMAIN, self._permission_id(read_name))
        if self._quota_raised:
            self._quota_raised = False
            ir.async_delete_issue(self._hass, DOMAIN, self._quota_id)
        for reason in self._reasons:
            ir.async_delete_issue(self._hass, DOMAIN, self._reason_id(reason))
        self._reasons.clear()

    def _create_reason(self, reason: ErrorReason, placeholders: dict[str, str]) -> None:
        self._reasons.add(reason)
        placeholders.setdefault("address", "?")
        placeholders.setdefault("offset", "?")
        self._create(
            self._reason_id(reason), REASON_ISSUES[reason], ir.IssueSeverity.ERROR, placeholders
        )

    async def _async_ip_issue(self, placeholders: dict[str, str]) -> None:
        """Say which address to allow: the one method that works without the allow-list."""
        assert isinstance(self._client, KnowsPublicIp)
        try:
            address = await self._client.async_public_ip()
        except ProviderError:
            return
        self._create_reason(ErrorReason.IP_NOT_ALLOWED, {**placeholders, "address": address})

    def _create(
        self, issue_id: str, key: str, severity: ir.IssueSeverity, placeholders: dict[str, str]
    ) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=severity,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    @property
    def _title(self) -> str:
        return self._entry.title

    @property
    def _quota_id(self) -> str:
        return f"quota_exceeded_{self._entry.entry_id}"

    def _permission_id(self, read_name: str) -> str:
        return f"permission_{self._entry.entry_id}_{read_name}"

    def _reason_id(self, reason: ErrorReason) -> str:
        return f"{REASON_ISSUES[reason]}_{self._entry.entry_id}"
