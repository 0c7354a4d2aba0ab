"""Hosted PBX: business phone systems of hosted VoIP providers in Home Assistant."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .budget import RequestBudget
from .const import CONF_PROVIDER, CONF_QUOTA_SHARE, DEFAULT_QUOTA_SHARE, DOMAIN, PROVIDER_NAMES
from .coordinator import (
    HostedPbxConfigEntry,
    HostedPbxCoordinator,
    HostedPbxRuntimeData,
    budget_store,
)
from .entity import MODELS, Target, async_remove_stale_devices, device_identifier
from .providers import create_client, provider_class
from .services import async_setup_services
from .webhook import async_setup_webhook

PLATFORMS: list[Platform] = [Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whatever entries exist."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> bool:
    """Build the client on the shared session, read the account, start polling."""
    provider = entry.data[CONF_PROVIDER]
    share = entry.options.get(CONF_QUOTA_SHARE, DEFAULT_QUOTA_SHARE) / 100
    budget = RequestBudget(provider_class(provider).quota, share=share)
    client = create_client(provider, entry.data, async_get_clientsession(hass), budget.gate)
    coordinator = HostedPbxCoordinator(hass, entry, client, budget)
    await coordinator.async_config_entry_first_refresh()
    account = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={device_identifier(client.account_id, Target.ACCOUNT, client.account_id)},
        manufacturer=PROVIDER_NAMES[provider],
        model=MODELS[Target.ACCOUNT],
        name=client.account_id,
    )
    entry.runtime_data = HostedPbxRuntimeData(client, budget, coordinator, account.id)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: async_remove_stale_devices(hass, entry))
    )
    await async_setup_webhook(hass, entry)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def _async_options_updated(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> None:
    """New watch list or quota share: start again with them."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> bool:
    """Stop polling and unload the platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> None:
    """Forget the saved quota window of a removed account."""
    await budget_store(hass, entry.entry_id).async_remove()
