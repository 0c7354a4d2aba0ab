"""Notify entities: ``notify.send_message`` texts from each SMS-capable number.

The recipient is set once in the options (the on-call phone, say); the message is sent
with the same checks as the ``hosted_pbx.send_sms`` action.
"""

from __future__ import annotations

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import SendsSms
from .const import CONF_NOTIFY_TO, DOMAIN
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import Target
from .entity import HostedPbxEntity, async_add_entities_as_found
from .errors import provider_errors

# A text is a request or more within the account's budget: one at a time.
PARALLEL_UPDATES = 1

SMS = NotifyEntityDescription(key="sms", translation_key="sms")


class SmsNotifyEntity(HostedPbxEntity, NotifyEntity):
    """Texts the recipient in the options from this number."""

    @provider_errors
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send ``title: message`` (or just the message) as a text."""
        to = str(self.coordinator.options.get(CONF_NOTIFY_TO) or "").strip()
        if not to:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_notify_recipient"
            )
        client = self.coordinator.client
        assert isinstance(client, SendsSms)  # only such providers get this entity
        text = f"{title}: {message}" if title else message
        with self.coordinator.quota_watch():
            await client.async_send_sms(self.target_id, to, text, None)


def _new_notifiers(coordinator: HostedPbxCoordinator, known: set[str]) -> list[SmsNotifyEntity]:
    entities = [
        SmsNotifyEntity(coordinator, description=SMS, target=Target.NUMBER, target_id=number)
        for number, item in coordinator.data.numbers.items()
        if item.sms_enabled
    ]
    return [entity for entity in entities if entity.unique_id not in known]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A notify entity per number that can send texts."""
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator.client, SendsSms):
        return
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_notifiers(coordinator, known)
    )
