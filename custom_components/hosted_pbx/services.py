"""Actions: click_to_call and send_sms, addressed to a device of the integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from .api import Capability
from .const import (
    ATTR_DEVICE_ID,
    ATTR_MESSAGE,
    ATTR_NUMBER,
    ATTR_SENDER,
    ATTR_TO,
    DOMAIN,
    SERVICE_CLICK_TO_CALL,
    SERVICE_SEND_SMS,
)
from .coordinator import HostedPbxConfigEntry
from .entity import Target, parse_identifier
from .errors import provider_errors

CLICK_TO_CALL_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_NUMBER): cv.string,
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


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _resolve(
    hass: HomeAssistant, device_id: str, target: Target, capability: Capability
) -> tuple[HostedPbxConfigEntry, str]:
    """The loaded entry and target id behind a device, or a translated error."""
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
    if device is None or found is None or found[0] is not target:
        raise _validation_error(f"not_{target}_device", device_id=device_id)
    entries = (hass.config_entries.async_get_entry(entry_id) for entry_id in device.config_entries)
    entry: HostedPbxConfigEntry | None = next(
        (candidate for candidate in entries if candidate and candidate.domain == DOMAIN), None
    )
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("entry_not_loaded")
    if capability not in entry.runtime_data.client.capabilities:
        raise _validation_error("not_supported", action=capability.value)
    return entry, found[1]


@provider_errors
async def _click_to_call(call: ServiceCall) -> ServiceResponse:
    entry, extension = _resolve(
        call.hass, call.data[ATTR_DEVICE_ID], Target.EXTENSION, Capability.CLICK_TO_CALL
    )
    result = await entry.runtime_data.client.async_click_to_call(extension, call.data[ATTR_NUMBER])
    return result.as_dict()


@provider_errors
async def _send_sms(call: ServiceCall) -> ServiceResponse:
    entry, number = _resolve(
        call.hass, call.data[ATTR_DEVICE_ID], Target.NUMBER, Capability.SEND_SMS
    )
    result = await entry.runtime_data.client.async_send_sms(
        number, call.data[ATTR_TO], call.data[ATTR_MESSAGE], call.data.get(ATTR_SENDER)
    )
    return result.as_dict()


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_CLICK_TO_CALL,
        _click_to_call,
        schema=CLICK_TO_CALL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_SMS,
        _send_sms,
        schema=SEND_SMS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
