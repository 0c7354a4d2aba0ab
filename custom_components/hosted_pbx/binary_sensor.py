"""Binary sensors: low credit, per number with credit or for the account's balance.

The threshold is in the options (in the account's currency), so an automation can use
the sensor's on/off without a template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.models import AccountData
from .const import CONF_LOW_CREDIT, DEFAULT_LOW_CREDIT
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import Target
from .entity import HostedPbxEntity, async_add_entities_as_found

# Coordinator-driven: entities never call the provider themselves.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class CreditDescription(BinarySensorEntityDescription):
    """Where a credit amount is found."""

    target: Target
    credit_fn: Callable[[AccountData, str], Decimal | None]


CREDIT = (
    CreditDescription(
        key="low_credit",
        translation_key="low_credit",
        device_class=BinarySensorDeviceClass.PROBLEM,
        target=Target.NUMBER,
        credit_fn=lambda data, number: (
            item.credit_available if (item := data.numbers.get(number)) else None
        ),
    ),
    CreditDescription(
        key="low_balance",
        translation_key="low_credit",
        device_class=BinarySensorDeviceClass.PROBLEM,
        target=Target.ACCOUNT,
        credit_fn=lambda data, _account: data.balance.amount if data.balance else None,
    ),
)


class LowCreditSensor(HostedPbxEntity, BinarySensorEntity):
    """On when the credit is below the threshold in the options."""

    entity_description: CreditDescription

    @property
    def is_on(self) -> bool | None:
        """Below the threshold (None until the credit has been read)."""
        credit = self.entity_description.credit_fn(self.coordinator.data, self.target_id)
        if credit is None:
            return None
        options = self.coordinator.options
        return credit < Decimal(str(options.get(CONF_LOW_CREDIT, DEFAULT_LOW_CREDIT)))

    @property
    def extra_state_attributes(self) -> dict[str, float]:
        """The threshold in use, for dashboards."""
        options = self.coordinator.options
        return {"threshold": float(options.get(CONF_LOW_CREDIT, DEFAULT_LOW_CREDIT))}


def _new_sensors(coordinator: HostedPbxCoordinator, known: set[str]) -> list[LowCreditSensor]:
    data = coordinator.data
    ids = {Target.NUMBER: list(data.numbers), Target.ACCOUNT: [coordinator.account_id]}
    entities = [
        LowCreditSensor(
            coordinator, description=description, target=description.target, target_id=target_id
        )
        for description in CREDIT
        for target_id in ids[description.target]
        if description.credit_fn(data, target_id) is not None
    ]
    return [entity for entity in entities if entity.unique_id not in known]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A low-credit sensor wherever the provider reports credit (added once it is read)."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_sensors(coordinator, known)
    )
