"""Selects: the route a phone number sends its calls to, where the provider lets us change it."""

from __future__ import annotations

from dataclasses import replace

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import HasRoutes
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import Target
from .entity import HostedPbxEntity, async_add_entities_as_found
from .errors import provider_errors

# Each change is a request or two within the account's budget: one at a time.
PARALLEL_UPDATES = 1

ROUTE = SelectEntityDescription(key="route", translation_key="route")


class RouteSelect(HostedPbxEntity, SelectEntity):
    """A number's current route, chosen from the account's routes by name."""

    def __init__(self, coordinator: HostedPbxCoordinator, number: str) -> None:
        """Attach the select to the number's device."""
        super().__init__(coordinator, description=ROUTE, target=Target.NUMBER, target_id=number)

    @property
    def options(self) -> list[str]:
        """Route names as the portal shows them."""
        return [route.name for route in self.coordinator.data.routes.values()]

    @property
    def current_option(self) -> str | None:
        """The name of the route the number uses now (None when not one of the list)."""
        data = self.coordinator.data
        number = data.numbers.get(self.target_id)
        route = data.routes.get(number.route) if number and number.route else None
        return route.name if route else None

    @provider_errors
    async def async_select_option(self, option: str) -> None:
        """Route the number at the provider; show the route read back."""
        client = self.coordinator.client
        assert isinstance(client, HasRoutes)  # only such providers get this select
        data = self.coordinator.data
        route_id = next(key for key, route in data.routes.items() if route.name == option)
        with self.coordinator.quota_watch():
            now = await client.async_set_route(self.target_id, route_id)
        number = replace(data.numbers[self.target_id], route=now)
        self.coordinator.async_set_updated_data(
            replace(data, numbers={**data.numbers, self.target_id: number})
        )


def _new_selects(coordinator: HostedPbxCoordinator, known: set[str]) -> list[RouteSelect]:
    data = coordinator.data
    if not data.routes:
        return []
    entities = [RouteSelect(coordinator, number) for number in data.numbers]
    return [entity for entity in entities if entity.unique_id not in known]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A route select per number, for providers whose numbers can be routed."""
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator.client, HasRoutes):
        return
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_selects(coordinator, known)
    )
