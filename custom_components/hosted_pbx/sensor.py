"""Sensors: extension status and current call, queue length, credit, request budget."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import Capability
from .api.models import AccountData, CallDirection, CallStatus, ExtensionStatus
from .call_events import caller
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import Target, format_own_number, targets
from .entity import HostedPbxEntity, async_add_entities_as_found

# Coordinator-driven: entities never call the provider themselves.
PARALLEL_UPDATES = 0

type SensorValue = StateType | Decimal


@dataclass(frozen=True, kw_only=True)
class HostedPbxSensorDescription(SensorEntityDescription):
    """A sensor of one extension, queue, number or the account."""

    target: Target
    # Any one of these among the provider's capabilities (none: every provider).
    capabilities: frozenset[Capability] = frozenset()
    value_fn: Callable[[AccountData, str], SensorValue]
    # A phone number, shown international and readable like the number devices.
    phone_number: bool = False
    # The other party of a call: its name (an extension's, or the provider's phonebook's)
    # goes in the ``caller_name`` attribute, as the call events carry it in ``name``.
    caller: bool = False
    exists_fn: Callable[[AccountData, str], bool] = lambda _data, _target: True


def _call(data: AccountData, extension_id: str) -> tuple[str | None, CallDirection | None, int]:
    state = data.extension_states.get(extension_id)
    if state is None or state.status is ExtensionStatus.IDLE:
        return None, None, 0
    return state.remote_number, state.direction, state.duration or 0


NO_CALL = "none"


def _direction(data: AccountData, extension_id: str) -> str | None:
    state = data.extension_states.get(extension_id)
    if state is not None and state.status is ExtensionStatus.IDLE:
        return NO_CALL
    direction = _call(data, extension_id)[1]
    return direction.value if direction else None


def _status(data: AccountData, extension_id: str) -> str | None:
    state = data.extension_states.get(extension_id)
    return None if state is None or state.status is None else state.status.value


def _queue_value(data: AccountData, queue_id: str, longest: bool) -> int | None:
    state = data.queue_states.get(queue_id)
    if state is None:
        return None
    return state.longest_wait if longest else state.calls_waiting


SENSORS: tuple[HostedPbxSensorDescription, ...] = (
    HostedPbxSensorDescription(
        key="extension_status",
        translation_key="extension_status",
        target=Target.EXTENSION,
        # Registration-only providers report idle/offline: the same sensor.
        capabilities=frozenset({Capability.EXTENSION_STATUS, Capability.REGISTRATION}),
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ExtensionStatus],
        value_fn=_status,
    ),
    HostedPbxSensorDescription(
        key="call_remote_number",
        translation_key="call_remote_number",
        target=Target.EXTENSION,
        capabilities=frozenset({Capability.CALL_DETAILS}),
        phone_number=True,
        caller=True,
        value_fn=lambda data, ext: _call(data, ext)[0],
    ),
    HostedPbxSensorDescription(
        key="call_direction",
        translation_key="call_direction",
        target=Target.EXTENSION,
        capabilities=frozenset({Capability.EXTENSION_STATUS}),
        device_class=SensorDeviceClass.ENUM,
        # "none" when the phone is idle: "no call" reads better than "unknown".
        options=[*(direction.value for direction in CallDirection), NO_CALL],
        value_fn=lambda data, ext: _direction(data, ext),
    ),
    HostedPbxSensorDescription(
        key="call_duration",
        translation_key="call_duration",
        target=Target.EXTENSION,
        capabilities=frozenset({Capability.CALL_DETAILS}),
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        # Whole seconds: newer releases would otherwise infer two decimals.
        suggested_display_precision=0,
        value_fn=lambda data, ext: _call(data, ext)[2],
    ),
    HostedPbxSensorDescription(
        key="queue_calls_waiting",
        translation_key="queue_calls_waiting",
        target=Target.QUEUE,
        capabilities=frozenset({Capability.QUEUES}),
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data, queue: _queue_value(data, queue, longest=False),
    ),
    HostedPbxSensorDescription(
        key="queue_longest_wait",
        translation_key="queue_longest_wait",
        target=Target.QUEUE,
        capabilities=frozenset({Capability.QUEUES}),
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data, queue: _queue_value(data, queue, longest=True),
    ),
    HostedPbxSensorDescription(
        key="credit_available",
        translation_key="credit_available",
        target=Target.NUMBER,
        capabilities=frozenset({Capability.BALANCE}),
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda data, number: data.numbers[number].credit_available,
        exists_fn=lambda data, number: data.numbers[number].credit_available is not None,
    ),
    HostedPbxSensorDescription(
        key="credit_limit",
        translation_key="credit_limit",
        target=Target.NUMBER,
        capabilities=frozenset({Capability.BALANCE}),
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=lambda data, number: data.numbers[number].credit_limit,
        exists_fn=lambda data, number: data.numbers[number].credit_limit is not None,
    ),
    HostedPbxSensorDescription(
        key="calls_missed_today",
        translation_key="calls_missed_today",
        target=Target.ACCOUNT,
        capabilities=frozenset({Capability.CALL_HISTORY}),
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data, _account: data.calls_today and data.calls_today[0],
    ),
    HostedPbxSensorDescription(
        key="calls_answered_today",
        translation_key="calls_answered_today",
        target=Target.ACCOUNT,
        capabilities=frozenset({Capability.CALL_HISTORY}),
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data, _account: data.calls_today and data.calls_today[1],
    ),
    HostedPbxSensorDescription(
        key="balance",
        translation_key="balance",
        target=Target.ACCOUNT,
        capabilities=frozenset({Capability.ACCOUNT_BALANCE}),
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda data, _account: data.balance.amount if data.balance else None,
    ),
    HostedPbxSensorDescription(
        key="spent_today",
        translation_key="spent_today",
        target=Target.ACCOUNT,
        capabilities=frozenset({Capability.ACCOUNT_BALANCE}),
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda data, _account: data.balance.spent_today if data.balance else None,
    ),
    HostedPbxSensorDescription(
        key="voicemail_new",
        translation_key="voicemail_new",
        target=Target.MAILBOX,
        capabilities=frozenset({Capability.VOICEMAIL}),
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data, box: data.mailboxes[box].new,
    ),
    HostedPbxSensorDescription(
        key="voicemail_urgent",
        translation_key="voicemail_urgent",
        target=Target.MAILBOX,
        capabilities=frozenset({Capability.VOICEMAIL}),
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data, box: data.mailboxes[box].urgent,
    ),
    HostedPbxSensorDescription(
        key="user_agent",
        translation_key="user_agent",
        target=Target.EXTENSION,
        capabilities=frozenset({Capability.REGISTRATION}),
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data, ext: (
            state.user_agent if (state := data.extension_states.get(ext)) else None
        ),
        # Added once a phone has reported one (some providers never do).
        exists_fn=lambda data, ext: bool(
            (state := data.extension_states.get(ext)) and state.user_agent
        ),
    ),
    HostedPbxSensorDescription(
        key="call_status",
        translation_key="call_status",
        target=Target.NUMBER,
        capabilities=frozenset({Capability.CALL_SESSIONS}),
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in CallStatus],
        value_fn=lambda data, number: ((call := data.calls.get(number)) and call.status.value)
        or CallStatus.IDLE.value,
    ),
    HostedPbxSensorDescription(
        key="session_duration",
        translation_key="call_duration",
        target=Target.NUMBER,
        capabilities=frozenset({Capability.CALL_SESSIONS}),
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        value_fn=lambda data, number: ((call := data.calls.get(number)) and call.duration) or 0,
    ),
    HostedPbxSensorDescription(
        key="package",
        translation_key="package",
        target=Target.NUMBER,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data, number: data.numbers[number].package,
        exists_fn=lambda data, number: data.numbers[number].package is not None,
    ),
)


class HostedPbxSensor(HostedPbxEntity, SensorEntity):
    """A sensor whose value comes from the coordinator's account data."""

    entity_description: HostedPbxSensorDescription

    @property
    def native_value(self) -> SensorValue:
        """The current value."""
        value = self.entity_description.value_fn(self.coordinator.data, self.target_id)
        if self.entity_description.phone_number and isinstance(value, str) and value:
            return format_own_number(value, self.coordinator.spec.region)
        return value

    @property
    def extra_state_attributes(self) -> dict[str, str] | None:
        """The caller's name, when the call's other party is known by one.

        The state stays the number (what automations compare); the name is beside it.
        """
        if not self.entity_description.caller:
            return None
        data = self.coordinator.data
        remote = self.entity_description.value_fn(data, self.target_id)
        if not isinstance(remote, str) or not remote:
            return None
        name = caller(data, remote, self.coordinator.spec.region).get("name")
        return {"caller_name": name} if name else None

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Money is in the account's currency, as the provider reports it."""
        if self.entity_description.device_class is not SensorDeviceClass.MONETARY:
            return super().native_unit_of_measurement
        balance = self.coordinator.data.balance
        return balance.currency if balance else self.coordinator.spec.currency


class ApiRequestsSensor(HostedPbxEntity, SensorEntity):
    """Requests sent in the current quota window; the budget in the attributes."""

    @property
    def native_value(self) -> int:
        """Requests in the sliding window."""
        return self.coordinator.budget.used()

    @property
    def extra_state_attributes(self) -> dict[str, int]:
        """What the window allows."""
        budget = self.coordinator.budget
        return {
            "limit": budget.limit,
            "polling_limit": budget.poll_limit,
            "total_sent": budget.total_sent,
        }


API_REQUESTS = SensorEntityDescription(
    key="api_requests",
    translation_key="api_requests",
    entity_category=EntityCategory.DIAGNOSTIC,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement="requests",
)


def _new_sensors(coordinator: HostedPbxCoordinator, known: set[str]) -> list[SensorEntity]:
    data = coordinator.data
    capabilities = coordinator.client.capabilities
    entities: list[SensorEntity] = []
    for description in SENSORS:
        if description.capabilities and not description.capabilities & capabilities:
            continue
        if description.target is Target.ACCOUNT:
            ids: Iterable[str] = [coordinator.account_id]
        else:
            ids = targets(data)[description.target]
        for target_id in ids:
            sensor = HostedPbxSensor(
                coordinator, description=description, target=description.target, target_id=target_id
            )
            if sensor.unique_id in known or not description.exists_fn(data, target_id):
                continue
            entities.append(sensor)
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors now, and for extensions, queues and numbers that appear later."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        [
            ApiRequestsSensor(
                coordinator,
                description=API_REQUESTS,
                target=Target.ACCOUNT,
                target_id=coordinator.account_id,
            )
        ]
    )
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_sensors(coordinator, known)
    )
