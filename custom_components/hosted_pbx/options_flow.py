"""Options: which extensions and queues to watch, and the share of the quota to use."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import LimitsCallLength, SendsSms
from .const import (
    CONF_LOW_CREDIT,
    CONF_MAX_CALL_MINUTES,
    CONF_NOTIFY_TO,
    CONF_QUOTA_SHARE,
    CONF_WATCHED_EXTENSIONS,
    CONF_WATCHED_QUEUES,
    DEFAULT_LOW_CREDIT,
    DEFAULT_MAX_CALL_MINUTES,
    DEFAULT_QUOTA_SHARE,
)
from .coordinator import HostedPbxConfigEntry


def _multi_select(items: dict[str, str]) -> SelectSelector:
    options = [SelectOptionDict(value=key, label=label) for key, label in items.items()]
    # A dropdown with chips whatever the number of items, the same for every provider.
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN)
    )


def _label(name: str, extension_id: str) -> str:
    return name if name == extension_id else f"{name} ({extension_id})"


class HostedPbxOptionsFlow(OptionsFlow):
    """Tune what is polled; applied to the running coordinator, without a reload."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form: watched extensions, watched queues, quota share."""
        entry: HostedPbxConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        coordinator = entry.runtime_data.coordinator
        if user_input is not None:
            # Options only steer the planner and the budget: no reload, no setup requests.
            coordinator.async_apply_options(user_input)
            return self.async_create_entry(data=user_input)
        data = coordinator.data
        per_extension, per_queue = coordinator.watchable()
        extensions = (
            {ext.id: _label(ext.name, ext.id) for ext in data.extensions.values()}
            if per_extension
            else {}
        )
        queues = {queue.id: queue.name for queue in data.queues.values()} if per_queue else {}
        options = entry.options
        fields: dict[vol.Marker, Any] = {}
        if extensions:
            watched = options.get(CONF_WATCHED_EXTENSIONS, list(extensions))
            fields[vol.Optional(CONF_WATCHED_EXTENSIONS, default=watched)] = _multi_select(
                extensions
            )
        if queues:
            watched = options.get(CONF_WATCHED_QUEUES, list(queues))
            fields[vol.Optional(CONF_WATCHED_QUEUES, default=watched)] = _multi_select(queues)
        share = options.get(CONF_QUOTA_SHARE, DEFAULT_QUOTA_SHARE)
        fields[vol.Required(CONF_QUOTA_SHARE, default=share)] = NumberSelector(
            NumberSelectorConfig(
                min=20, max=100, step=5, unit_of_measurement="%", mode=NumberSelectorMode.SLIDER
            )
        )
        if isinstance(coordinator.client, SendsSms):
            recipient = options.get(CONF_NOTIFY_TO, "")
            fields[vol.Optional(CONF_NOTIFY_TO, description={"suggested_value": recipient})] = (
                TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))
            )
        if isinstance(coordinator.client, LimitsCallLength):
            minutes = options.get(CONF_MAX_CALL_MINUTES, DEFAULT_MAX_CALL_MINUTES)
            fields[vol.Required(CONF_MAX_CALL_MINUTES, default=minutes)] = NumberSelector(
                NumberSelectorConfig(
                    min=5, max=600, step=5, unit_of_measurement="min", mode=NumberSelectorMode.BOX
                )
            )
        threshold = options.get(CONF_LOW_CREDIT, DEFAULT_LOW_CREDIT)
        fields[vol.Required(CONF_LOW_CREDIT, default=threshold)] = NumberSelector(
            NumberSelectorConfig(min=0, max=1000, step=0.5, mode=NumberSelectorMode.BOX)
        )
        return self.async_show_form(step_id="init", data_schema=vol.Schema(fields))
