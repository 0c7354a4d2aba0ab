"""The do-not-disturb intent: turn it on or off for one of the user's phones."""

from __future__ import annotations

from typing import Any, override

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, intent
import voluptuous as vol

from ..devices import Target
from .lookup import entities_by_device
from .matching import in_area_of, match_devices, slot_text
from .responses import error_response, failure_response, spoken_response
from .speech import request_language, say, spoken_names

INTENT_DO_NOT_DISTURB = "HostedPbxDoNotDisturb"

SLOT_EXTENSION = "extension"
SLOT_STATE = "state"


class DoNotDisturbIntent(intent.IntentHandler):
    """Turn do-not-disturb of an extension on or off."""

    intent_type = INTENT_DO_NOT_DISTURB
    description = (
        "Turns do not disturb (DND) on or off for a desk phone (extension) of the hosted "
        "phone system (Hosted PBX). While on, the phone does not ring."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """Which phone, and on or off."""
        return {
            vol.Required(SLOT_STATE, description="'on' or 'off'"): vol.In(["on", "off"]),
            vol.Optional(
                SLOT_EXTENSION,
                description="Name of the phone (extension); needed when there are several",
            ): cv.string,
        }

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Switch the extension's do_not_disturb switch and say the new state."""
        hass = intent_obj.hass
        language = request_language(intent_obj)
        slots = self.async_validate_slots(intent_obj.slots)
        turn_on = slots[SLOT_STATE]["value"] == "on"
        said = slot_text(slots, SLOT_EXTENSION)
        switches = entities_by_device(hass, Target.EXTENSION, "switch", "do_not_disturb")
        if not switches:
            return error_response(intent_obj, say(language, "no_dnd"))
        candidates = list(switches)
        if said:
            matches = match_devices(hass, candidates, said)
            if not matches:
                return error_response(intent_obj, say(language, "no_such_phone", name=said))
        else:
            local = in_area_of(hass, candidates, intent_obj.device_id)
            matches = [local] if local else candidates
        if len(matches) > 1:
            names = spoken_names(language, (device.name for device in matches))
            return error_response(intent_obj, say(language, "dnd_which", names=names))
        device = matches[0]
        entity_id = switches[device]
        state = hass.states.get(entity_id)
        if state is None or state.state == STATE_UNAVAILABLE:
            return error_response(intent_obj, say(language, "dnd_unavailable", name=device.name))
        try:
            await hass.services.async_call(
                "switch",
                "turn_on" if turn_on else "turn_off",
                {"entity_id": entity_id},
                blocking=True,
                context=intent_obj.context,
            )
        except HomeAssistantError as err:
            return await failure_response(intent_obj, language, err)
        response = spoken_response(
            intent_obj, say(language, "dnd_on" if turn_on else "dnd_off", name=device.name)
        )
        response.async_set_speech_slots({"extension": device.name, "state": turn_on})
        return response
