"""The queue intent: how many callers wait in a call queue, or in each."""

from __future__ import annotations

from typing import Any, override

from homeassistant.helpers import config_validation as cv, intent
import voluptuous as vol

from ..devices import Target
from .lookup import entities_by_device
from .matching import match_devices, slot_text
from .responses import error_response, spoken_response
from .speech import request_language, say

INTENT_QUEUE = "HostedPbxQueue"

SLOT_QUEUE = "queue"


class QueueIntent(intent.IntentHandler):
    """Say how many callers wait in a queue (or in each queue)."""

    intent_type = INTENT_QUEUE
    description = (
        "Tells how many callers are waiting in a call queue of the hosted phone system "
        "(Hosted PBX); all queues when no queue is named."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """Optionally the queue's name."""
        return {
            vol.Optional(SLOT_QUEUE, description="Name of the call queue, e.g. 'Sales'"): cv.string
        }

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Read the queue_calls_waiting sensor(s) and speak them."""
        hass = intent_obj.hass
        language = request_language(intent_obj)
        slots = self.async_validate_slots(intent_obj.slots)
        said = slot_text(slots, SLOT_QUEUE)
        sensors = entities_by_device(hass, Target.QUEUE, "sensor", "queue_calls_waiting")
        if not sensors:
            return error_response(intent_obj, say(language, "no_queues"))
        queues = list(sensors)
        if said:
            queues = match_devices(hass, queues, said)
            if not queues:
                return error_response(intent_obj, say(language, "no_such_queue", name=said))
        sentences: list[str] = []
        counts: dict[str, int | None] = {}
        for queue in queues:
            state = hass.states.get(sensors[queue])
            try:
                count = int(state.state) if state else None
            except ValueError:
                count = None
            counts[queue.name] = count
            if count is None:
                sentences.append(say(language, "queue_unknown", name=queue.name))
            else:
                key = "queue_none" if count == 0 else "queue_one" if count == 1 else "queue_many"
                sentences.append(say(language, key, name=queue.name, count=count))
        response = spoken_response(intent_obj, " ".join(sentences))
        response.async_set_speech_slots({"queues": counts})
        return response
