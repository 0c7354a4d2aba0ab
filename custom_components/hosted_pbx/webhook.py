"""Push: VOIPZeker calls a Home Assistant webhook on every call event.

The URL template is set at the provider with one request when the entry is set up (when
Home Assistant has a URL at all); polling goes on as the fallback. The handler trusts the
payload only for the event it reports: it fires a bus event and asks for a status read,
which the request budget may postpone.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .api.errors import ProviderError
from .api.models import ReadKind
from .api.voipzeker import VoipzekerClient, parse_webhook_event, webhook_template
from .const import DOMAIN, EVENT_CALL, LOGGER
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator

# Events come in bursts (ringing, answered, hung up): one status read per this many seconds.
REFRESH_COOLDOWN = 2.0


async def async_setup_webhook(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> None:
    """Register a webhook and point the provider at it; on any trouble, keep polling only."""
    coordinator = entry.runtime_data.coordinator
    client = coordinator.client
    if not isinstance(client, VoipzekerClient) or "webhook" not in hass.config.components:
        return
    try:
        base = get_url(hass, allow_internal=True, prefer_external=True)
    except NoURLAvailableError:
        LOGGER.debug("Home Assistant has no URL: VOIPZeker call events are polled only")
        return
    webhook_id = webhook.async_generate_id()

    async def _refresh() -> None:
        await _async_refresh_status(coordinator)

    refresher = Debouncer(
        hass,
        LOGGER,
        cooldown=REFRESH_COOLDOWN,
        immediate=True,
        function=_refresh,
        background=True,
    )

    async def _handle(hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        event = parse_webhook_event(params, client.webhook_numbers)
        if event is None:
            LOGGER.debug("Ignored a webhook call that is not a valid VOIPZeker call event")
            return web.Response(status=200)
        hass.bus.async_fire(EVENT_CALL, {**event.as_dict(), "config_entry_id": entry.entry_id})
        entry.async_create_background_task(
            hass, refresher.async_call(), f"{DOMAIN} webhook status refresh"
        )
        return web.Response(status=200)

    webhook.async_register(
        hass,
        DOMAIN,
        f"{entry.title} call events",
        webhook_id,
        _handle,
        allowed_methods={"GET", "POST"},
        local_only=False,
    )

    @callback
    def _unregister() -> None:
        webhook.async_unregister(hass, webhook_id)
        refresher.async_shutdown()

    url = base + webhook.async_generate_path(webhook_id)
    try:
        await client.async_set_webhook(webhook_template(url))
    except ProviderError as err:
        _unregister()
        LOGGER.warning("Could not set the VOIPZeker webhook, polling only: %s", err)
        return
    entry.async_on_unload(_unregister)
    LOGGER.debug("VOIPZeker pushes call events to Home Assistant's webhook")


async def _async_refresh_status(coordinator: HostedPbxCoordinator) -> None:
    """Read every extension's status now, if the budget allows; polling catches up if not."""
    reads = [
        read
        for read in coordinator.client.plan_reads(coordinator.data)
        if read.kind is ReadKind.LIVE
    ]
    if not reads or not coordinator.budget.poll_allowed(sum(read.cost for read in reads)):
        return
    data = coordinator.data
    try:
        for read in reads:
            data = await coordinator.client.async_read(read, data)
    except ProviderError as err:
        LOGGER.debug("Status read after a call event failed: %s", err)
        return
    coordinator.planner.mark(reads)
    # Only the statuses: anything else may have changed while the read was under way.
    coordinator.async_set_updated_data(
        replace(coordinator.data, extension_states=data.extension_states)
    )
