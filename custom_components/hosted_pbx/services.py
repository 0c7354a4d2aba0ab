"""Actions: click_to_call, send_sms and hang_up, addressed to a device of the integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from .api import ClickToCall, HangsUp, RingsBothAtOnce, SendsSms
from .const import (
    ATTR_DEVICE_ID,
    ATTR_MESSAGE,
    ATTR_MODE,
    ATTR_NUMBER,
    ATTR_SENDER,
    ATTR_TO,
    DOMAIN,
    SERVICE_CLICK_TO_CALL,
    SERVICE_HANG_UP,
    SERVICE_SEND_SMS,
)
from .coordinator import HostedPbxConfigEntry
from .devices import Target, parse_identifier
from .errors import provider_errors

CLICK_TO_CALL_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_NUMBER): cv.string,
        vol.Optional(ATTR_MODE): vol.In(["source_first", "both"]),
    }
)
SEND_SMS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_TO): cv.string,
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_SENDER): cv.string,
    }
)
HANG_UP_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string})


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _resolve(
    hass: HomeAssistant, device_id: str, wanted: Target | None
) -> tuple[HostedPbxConfigEntry, str]:
    """The loaded entry and target id behind a device, or a translated error.

    ``wanted`` None means the provider's call source (an extension, or a number). The
    entry is found from the device's own identifier (the account id), which works the
    same on every release we support.
    """
    device = dr.async_get(hass).async_get(device_id)
    found = None
    if device is not None:
        found = next(
            (
                parsed
                for domain, identifier in device.identifiers
                if domain == DOMAIN and (parsed := parse_identifier(identifier))
            ),
            None,
        )
    if found is None:
        raise _validation_error(
            f"not_{wanted or _account_call_source(hass, device)}_device", device_id=device_id
        )
    account_id, target, target_id = found
    entry: HostedPbxConfigEntry | None = hass.config_entries.async_entry_for_domain_unique_id(
        DOMAIN, account_id
    )
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("entry_not_loaded")
    expected = wanted or entry.runtime_data.coordinator.spec.call_source
    if target is not expected:
        raise _validation_error(f"not_{expected}_device", device_id=device_id)
    return entry, target_id


def _account_call_source(hass: HomeAssistant, device: dr.DeviceEntry | None) -> Target:
    """For an account device, the kind of device its provider calls from."""
    for domain, identifier in device.identifiers if device else ():
        entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, identifier)
        if domain == DOMAIN and entry is not None and entry.state is ConfigEntryState.LOADED:
            source: Target = entry.runtime_data.coordinator.spec.call_source
            return source
    return Target.EXTENSION


def _not_supported(entry: HostedPbxConfigEntry, action: str) -> ServiceValidationError:
    return _validation_error(
        "not_supported", action=action, provider=entry.runtime_data.coordinator.spec.name
    )


@provider_errors
async def _click_to_call(call: ServiceCall) -> ServiceResponse:
    entry, source = _resolve(call.hass, call.data[ATTR_DEVICE_ID], None)
    coordinator = entry.runtime_data.coordinator
    client = coordinator.client
    if not isinstance(client, ClickToCall):
        raise _not_supported(entry, SERVICE_CLICK_TO_CALL)
    mode = call.data.get(ATTR_MODE, "source_first")
    if mode not in coordinator.spec.call_modes:
        raise _not_supported(entry, f"{SERVICE_CLICK_TO_CALL} mode {mode}")
    with coordinator.quota_watch():
        if mode != "source_first" and isinstance(client, RingsBothAtOnce):
            result = await client.async_click_to_call(source, call.data[ATTR_NUMBER], mode)
        else:
            result = await client.async_click_to_call(source, call.data[ATTR_NUMBER])
    return result.as_dict()


@provider_errors
async def _send_sms(call: ServiceCall) -> ServiceResponse:
    entry, number = _resolve(call.hass, call.data[ATTR_DEVICE_ID], Target.NUMBER)
    coordinator = entry.runtime_data.coordinator
    client = coordinator.client
    if not isinstance(client, SendsSms):
        raise _not_supported(entry, SERVICE_SEND_SMS)
    with coordinator.quota_watch():
        result = await client.async_send_sms(
            number, call.data[ATTR_TO], call.data[ATTR_MESSAGE], call.data.get(ATTR_SENDER)
        )
    return result.as_dict()


@provider_errors
async def _hang_up(call: ServiceCall) -> ServiceResponse:
    entry, source = _resolve(call.hass, call.data[ATTR_DEVICE_ID], None)
    coordinator = entry.runtime_data.coordinator
    client = coordinator.client
    if not isinstance(client, HangsUp):
        raise _not_supported(entry, SERVICE_HANG_UP)
    with coordinator.quota_watch():
        result = await client.async_hang_up(source)
    return result.as_dict()


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    for name, handler, schema in (
        (SERVICE_CLICK_TO_CALL, _click_to_call, CLICK_TO_CALL_SCHEMA),
        (SERVICE_SEND_SMS, _send_sms, SEND_SMS_SCHEMA),
        (SERVICE_HANG_UP, _hang_up, HANG_UP_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )
