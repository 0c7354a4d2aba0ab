"""Hosted PBX: business phone systems of hosted VoIP providers in Home Assistant."""

from __future__ import annotations

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .budget import RequestBudget
from .const import CONF_PROVIDER, CONF_QUOTA_SHARE, DEFAULT_QUOTA_SHARE, DOMAIN
from .coordinator import (
    HaBudgetStore,
    HostedPbxConfigEntry,
    HostedPbxCoordinator,
    HostedPbxRuntimeData,
    budget_store,
    cache_store,
)
from .devices import (
    async_account_device,
    async_ensure_devices,
    async_model_names,
    parse_identifier,
    targets,
)
from .intents import async_setup_intents
from .providers import get_spec
from .services import async_setup_services
from .webhook import async_setup_socket, async_setup_webhook

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whatever entries exist."""
    async_setup_services(hass)
    async_setup_intents(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> bool:
    """Build the client on the shared session, read the account, start polling.

    There is no update listener: options are applied to the running coordinator by the
    options flow, and reauth/reconfigure reload the entry once through Home Assistant.
    """
    spec = get_spec(entry.data[CONF_PROVIDER])
    share = entry.options.get(CONF_QUOTA_SHARE, DEFAULT_QUOTA_SHARE) / 100
    store = HaBudgetStore(hass, entry.entry_id)
    budget = RequestBudget(spec.quota, share=share, store=store)
    store.budget = budget
    client = spec.create_client(entry.data, async_get_clientsession(hass), budget.gate)
    coordinator = HostedPbxCoordinator(hass, entry, spec, client, budget, store)

    async def _async_stop(_event: Event) -> None:
        # Stopping Home Assistant does not unload entries: close sessions, save the window.
        await coordinator.async_shutdown()

    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _async_stop))
    await coordinator.async_config_entry_first_refresh()
    models = await async_model_names(hass)
    account = async_account_device(
        hass, entry, coordinator.account_id, coordinator.account_name, spec.name, models
    )
    entry.runtime_data = HostedPbxRuntimeData(coordinator, account.id, models)
    made: set[tuple[str, str]] = set()

    @callback
    def _ensure_devices() -> None:
        async_ensure_devices(
            hass,
            entry,
            coordinator.data,
            (coordinator.account_id, account.id, spec.name),
            made,
            spec.region,
            models,
        )

    _ensure_devices()
    entry.async_on_unload(coordinator.async_add_listener(_ensure_devices))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_setup_webhook(hass, entry)
    await async_setup_socket(hass, entry)
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HostedPbxConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device the provider no longer lists (never a current one)."""
    data = entry.runtime_data.coordinator.data
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        parsed = parse_identifier(identifier)
        if parsed is None:
            return False  # the account itself
        _account, target, target_id = parsed
        if target_id in targets(data).get(target, {}):
            return False
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> bool:
    """Stop polling and unload the platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> None:
    """Forget the saved quota window and cache of a removed account."""
    await budget_store(hass, entry.entry_id).async_remove()
    await cache_store(hass, entry.entry_id).async_remove()
