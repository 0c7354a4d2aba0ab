"""Switches: the provider's own switches (VOIPZeker Unite) and each extension's do-not-disturb."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import HasSwitches
from .api.models import Switch, SwitchKind
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import Target
from .entity import HostedPbxEntity, async_add_entities_as_found
from .errors import provider_errors

# Each change is a request or two within the account's budget: one at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HostedPbxSwitchDescription(SwitchEntityDescription):
    """A provider-side switch of the account or of one extension."""

    kind: SwitchKind
    target: Target


SWITCHES: tuple[HostedPbxSwitchDescription, ...] = (
    HostedPbxSwitchDescription(
        key="unite_switch",
        translation_key="unite_switch",
        kind=SwitchKind.SWITCH,
        target=Target.ACCOUNT,
    ),
    HostedPbxSwitchDescription(
        key="do_not_disturb",
        translation_key="do_not_disturb",
        kind=SwitchKind.DO_NOT_DISTURB,
        target=Target.EXTENSION,
    ),
    HostedPbxSwitchDescription(
        key="function_indicator",
        translation_key="function_indicator",
        kind=SwitchKind.FUNCTION_INDICATOR,
        target=Target.ACCOUNT,
    ),
    HostedPbxSwitchDescription(
        key="call_forwarding",
        translation_key="call_forwarding",
        kind=SwitchKind.CALL_FORWARDING,
        target=Target.NUMBER,
    ),
)


class HostedPbxSwitch(HostedPbxEntity, SwitchEntity):
    """A switch whose state is what the provider last reported."""

    entity_description: HostedPbxSwitchDescription

    def __init__(
        self,
        coordinator: HostedPbxCoordinator,
        description: HostedPbxSwitchDescription,
        switch: Switch,
    ) -> None:
        """Attach an account switch to the account device, the others to theirs."""
        target_id = {
            Target.EXTENSION: switch.extension_id,
            Target.NUMBER: switch.number,
        }.get(description.target) or coordinator.account_id
        # Many switches may share one device: the switch id keeps them apart.
        super().__init__(
            coordinator,
            description=description,
            target=description.target,
            target_id=target_id,
            unique_part=switch.id if description.target is Target.ACCOUNT else None,
        )
        self.switch_id = switch.id
        if description.target is Target.ACCOUNT:
            self._attr_translation_placeholders = {"name": switch.name}

    @property
    def available(self) -> bool:
        """Unavailable when polling fails or the switch left the account."""
        return super().available and self.switch_id in self.coordinator.data.switches

    @property
    def is_on(self) -> bool | None:
        """The state the provider last reported."""
        switch = self.coordinator.data.switches.get(self.switch_id)
        return None if switch is None else switch.is_on

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the switch on at the provider."""
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the switch off at the provider."""
        await self._async_set(False)

    @provider_errors
    async def _async_set(self, on: bool) -> None:
        client = self.coordinator.client
        assert isinstance(client, HasSwitches)  # only such providers get switches
        with self.coordinator.quota_watch():
            switch = await client.async_set_switch(self.switch_id, on)
        data = self.coordinator.data
        if known := data.switches.get(switch.id):
            # The read-back may lack the name the listing gave (DND is named by its extension).
            switch = replace(switch, name=known.name)
        self.coordinator.async_set_updated_data(
            replace(data, switches={**data.switches, switch.id: switch})
        )


def _new_switches(coordinator: HostedPbxCoordinator, known: set[str]) -> list[HostedPbxSwitch]:
    entities: list[HostedPbxSwitch] = []
    for switch in coordinator.data.switches.values():
        description = next((d for d in SWITCHES if d.kind is switch.kind), None)
        if description is None:
            continue
        entity = HostedPbxSwitch(coordinator, description, switch)
        if entity.unique_id not in known:
            entities.append(entity)
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches known now, and each one polling discovers later (DND states)."""
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator.client, HasSwitches):
        return
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_switches(coordinator, known)
    )
