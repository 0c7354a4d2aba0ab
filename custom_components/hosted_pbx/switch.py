"""Switches: the provider's own switches (VOIPZeker Unite) and each extension's do-not-disturb."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Capability, SwitchProvider
from .api.errors import InvalidRequest
from .api.models import Switch, SwitchKind
from .const import DOMAIN
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .entity import HostedPbxEntity, Target, async_add_entities_as_found
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
        """Attach an account switch to the account device, DND to its extension."""
        account = coordinator.client.account_id
        if description.target is Target.EXTENSION and switch.extension_id is not None:
            target_id = switch.extension_id
        else:
            target_id = account
        super().__init__(coordinator, description, description.target, target_id)
        self.switch_id = switch.id
        if description.target is Target.ACCOUNT:
            # Many switches share the account device: the switch number keeps them apart.
            self._attr_unique_id = f"{account}|{Target.ACCOUNT}|{switch.id}|{description.key}"
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
        client = cast(SwitchProvider, self.coordinator.client)
        try:
            switch = await client.async_set_switch(self.switch_id, on)
        except InvalidRequest as err:
            if err.reason != "refused":
                raise
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="switch_refused",
                translation_placeholders={"error": str(err)},
            ) from err
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
        if description is None or switch.id in known:
            continue
        known.add(switch.id)
        entities.append(HostedPbxSwitch(coordinator, description, switch))
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches known now, and each one polling discovers later (DND states)."""
    coordinator = entry.runtime_data.coordinator
    if Capability.SWITCHES not in coordinator.client.capabilities:
        return
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_switches(coordinator, known)
    )
