"""Push through a Home Assistant webhook, for providers whose spec has ``WebhookPush``.

The webhook id is kept in the entry, so it stays the same across reloads and restarts
and the provider's side stays right; it is registered at the provider only when it is
new, and again later when the budget did not allow it at setup. The provider is in the
cloud, so only an external URL is handed to it; without one, a repair issue says so and
polling carries on alone. Payload parsing lives with the provider's spec.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .api.errors import ProviderError
from .const import CONF_WEBHOOK_ID, CONF_WEBHOOK_REGISTERED, DOMAIN, LOGGER
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .providers import WebhookPush

# How often a registration the budget refused at setup is tried again.
REGISTER_RETRY = timedelta(minutes=5)


async def async_setup_webhook(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> None:
    """Register the entry's webhook and, if needed, point the provider at it."""
    coordinator = entry.runtime_data.coordinator
    push = coordinator.spec.push
    if push is None or "webhook" not in hass.config.components:
        return
    issue_id = f"no_external_url_{entry.entry_id}"
    try:
        base = get_url(hass, allow_internal=False, allow_ip=True, prefer_external=True)
    except NoURLAvailableError:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="no_external_url",
            translation_placeholders={"title": entry.title},
        )
        return
    ir.async_delete_issue(hass, DOMAIN, issue_id)
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    if webhook_id is None:
        webhook_id = webhook.async_generate_id()
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: webhook_id}
        )
    _register_handler(hass, entry, coordinator, push, webhook_id)
    url = base + webhook.async_generate_path(webhook_id)
    if entry.data.get(CONF_WEBHOOK_REGISTERED) == url:
        return  # the provider already calls this URL

    async def _async_register(*_: object) -> None:
        if entry.data.get(CONF_WEBHOOK_REGISTERED) == url:
            return
        try:
            with coordinator.quota_watch():
                await push.async_register(coordinator.client, url)
        except ProviderError as err:
            LOGGER.info("%s: push not set up yet (%s); trying again later", entry.title, err)
            return
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_REGISTERED: url}
        )
        LOGGER.debug("%s pushes events to Home Assistant's webhook", entry.title)

    await _async_register()
    entry.async_on_unload(async_track_time_interval(hass, _async_register, REGISTER_RETRY))


def _register_handler(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    coordinator: HostedPbxCoordinator,
    push: WebhookPush,
    webhook_id: str,
) -> None:
    async def _handle(hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
        fields = dict(request.query)
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            fields.update({key: value for key, value in form.items() if isinstance(value, str)})
        event = push.parse(coordinator.client, fields)
        if event is None:
            LOGGER.debug("Ignored a webhook call that is not a valid event")
        else:
            coordinator.async_push(event)
        return web.Response(status=200, text=push.answer)

    webhook.async_register(
        hass,
        DOMAIN,
        f"{entry.title} events",
        webhook_id,
        _handle,
        allowed_methods={"GET", "POST"},
        local_only=False,
    )

    @callback
    def _unregister() -> None:
        webhook.async_unregister(hass, webhook_id)

    entry.async_on_unload(_unregister)


async def async_setup_socket(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> None:
    """Keep the provider's event connection open, where the spec and the account have one.

    Any trouble starting it leaves the account on polling alone, which diagnostics show.
    """
    coordinator = entry.runtime_data.coordinator
    socket = coordinator.spec.socket
    if socket is None:
        return
    try:
        with coordinator.quota_watch():
            stop = await socket.async_start(coordinator.client, entry.data, coordinator.async_push)
    except ProviderError as err:
        LOGGER.info("%s: live events unavailable, polling only (%s)", entry.title, err)
        coordinator.push_state = "polling only (the live events could not start)"
        return
    if stop is None:
        coordinator.push_state = "polling only (not configured)"
        return
    coordinator.push_state = "socket"
    entry.async_on_unload(stop)
