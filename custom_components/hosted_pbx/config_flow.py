"""Config flow: choose a provider, fill in its spec's fields; reauth and reconfigure.

Every form is generated from the provider's spec (``providers/``): there is no
provider-specific branch here. The flow checks the credentials with one cheap read that
counts in the account's budget: the loaded entry's when there is one, otherwise a small
per-account budget for flows, so repeated wrong passwords never break the quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import RequestGate
from .api.errors import ProviderError
from .budget import RequestBudget
from .const import CONF_PROVIDER, DOMAIN, LOGGER
from .errors import form_error
from .options_flow import HostedPbxOptionsFlow
from .providers import PROVIDERS, CredentialField, FieldType, ProviderSpec

SECTION_ADVANCED = "advanced"
# Share of the provider's quota that flows for one account may use per window when no
# entry of it is loaded: a few attempts (a VOIPZeker attempt is 3 requests), never more.
FLOW_SHARE = 1 / 3
_SELECTORS = {
    FieldType.TEXT: TextSelector(),
    FieldType.PASSWORD: TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
    FieldType.EMAIL: TextSelector(
        TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
    ),
    FieldType.NUMBERS: TextSelector(TextSelectorConfig(multiline=True)),
}
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def _field_schema(fields: tuple[CredentialField, ...]) -> dict[vol.Marker, Any]:
    return {
        (vol.Required if item.required else vol.Optional)(item.key): _SELECTORS[item.type]
        for item in fields
    }


def _advanced_section(spec: ProviderSpec, url: str | None = None) -> dict[vol.Marker, Any]:
    """The API address, folded away: only resellers' customers need to change it."""
    fields = {vol.Optional(CONF_URL, default=url or spec.default_url): _URL}
    return {vol.Required(SECTION_ADVANCED): section(vol.Schema(fields), {"collapsed": True})}


def _flatten(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data keeps the section's fields at the top level."""
    data = {key: value for key, value in user_input.items() if key != SECTION_ADVANCED}
    advanced: dict[str, Any] = user_input.get(SECTION_ADVANCED, {})
    return data | advanced


def _flow_gate(hass: HomeAssistant, spec: ProviderSpec, data: Mapping[str, Any]) -> RequestGate:
    """The gate for a flow's requests: the loaded entry's budget, or a flow budget.

    Flow budgets are per provider and identifying field (say, the e-mail address), kept
    for the whole run of Home Assistant, so a user retrying a wrong password 12 times
    spends at most FLOW_SHARE of the quota per window.
    """
    budgets: dict[str, RequestBudget] = hass.data.setdefault(f"{DOMAIN}_flow_budgets", {})
    who = "|".join(
        str(data.get(item.key, "")).casefold() for item in spec.fields if item.identifies
    )
    key = f"{spec.key}|{who}"
    if key not in budgets:
        budgets[key] = RequestBudget(spec.quota, share=FLOW_SHARE)
    return budgets[key].gate


def _entry_gate(entry: ConfigEntry | None) -> RequestGate | None:
    """A loaded entry's budget: the user acting, so the check may use the action reserve."""
    if entry is not None and entry.state is ConfigEntryState.LOADED:
        gate: RequestGate = entry.runtime_data.coordinator.budget.gate
        return gate
    return None


class HostedPbxConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an account of one of the supported providers."""

    VERSION = 1

    def __init__(self) -> None:
        """Nothing exchanged yet."""
        # What a credential exchange gave, by the input it was given: an invitation works
        # once, so a retry after a failed validation reuses the result.
        self._exchanged: dict[str, dict[str, Any]] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> HostedPbxOptionsFlow:
        """Options: what to watch and the quota share."""
        return HostedPbxOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the provider."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDERS))

    def __getattr__(self, name: str) -> Any:
        """``async_step_<provider key>``: the menu's choice, one generated form per spec.

        Looked up when called, so every spec in the registry has its step, including one
        registered after this module was imported.
        """
        key = name.removeprefix("async_step_")
        if key != name and key in PROVIDERS:
            return partial(self._async_step_provider, PROVIDERS[key])
        raise AttributeError(name)

    async def _async_step_provider(
        self, spec: ProviderSpec, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """A provider's credential form, from its spec."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: spec.key, **_flatten(user_input)}
            if self._duplicate(spec, data):
                return self.async_abort(reason="already_configured")
            account_id, errors = await self._async_check(spec, data, None)
            if not errors:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=self._title(spec, data, account_id), data=data)
        schema = vol.Schema(_field_schema(spec.fields)).extend(_advanced_section(spec))
        return self.async_show_form(
            step_id=spec.key,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    def _duplicate(self, spec: ProviderSpec, data: Mapping[str, Any]) -> bool:
        """Refuse an account that is already set up before sending anything."""
        identifying = [item.key for item in spec.fields if item.identifies]
        if not identifying:
            return False
        return any(
            entry.data.get(CONF_PROVIDER) == spec.key
            and all(
                str(entry.data.get(key, "")).strip().casefold()
                == str(data.get(key, "")).strip().casefold()
                for key in identifying
            )
            for entry in self._async_current_entries(include_ignore=False)
        )

    @staticmethod
    def _title(spec: ProviderSpec, data: Mapping[str, Any], account_id: str) -> str:
        shown = next((str(data[item.key]) for item in spec.fields if item.identifies), account_id)
        return f"{spec.name} ({shown})"

    async def _async_check(
        self, spec: ProviderSpec, data: dict[str, Any], entry: ConfigEntry | None
    ) -> tuple[str, dict[str, str]]:
        """Exchange credentials if the provider needs it, then one cheap read.

        Returns the account id, or the form's errors.
        """
        session = async_get_clientsession(self.hass)
        gate = _entry_gate(entry) or _flow_gate(self.hass, spec, data)
        try:
            if spec.exchange is not None:
                await self._async_exchange(spec, data, gate)
            client = spec.create_client(data, session, gate)
            await client.async_validate()
        except ProviderError as err:
            error = form_error(err)
            if error == "invalid_auth":
                error = spec.auth_error
            LOGGER.debug("Checking %s credentials failed: %s", spec.name, err)
            # A malformed field is shown at that field; the rest at the form.
            return "", {err.details.get("field", "base"): error}
        except Exception:
            LOGGER.exception("Unexpected error while checking %s credentials", spec.name)
            return "", {"base": "unknown"}
        return client.account_id, {}

    async def _async_exchange(
        self, spec: ProviderSpec, data: dict[str, Any], gate: RequestGate
    ) -> None:
        assert spec.exchange is not None
        key = repr(sorted((k, str(v)) for k, v in data.items()))
        if key not in self._exchanged:
            exchanged = dict(data)
            await spec.exchange(exchanged, async_get_clientsession(self.hass), gate)
            self._exchanged[key] = exchanged
        data.clear()
        data.update(self._exchanged[key])

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The provider stopped accepting the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the spec's reauth fields (a new password, a new invitation id...)."""
        return await self._async_update_credentials(
            "reauth_confirm", self._get_reauth_entry(), user_input
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the spec's reconfigure fields or the API address."""
        return await self._async_update_credentials(
            "reconfigure", self._get_reconfigure_entry(), user_input
        )

    async def _async_update_credentials(
        self, step_id: str, entry: ConfigEntry, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        spec = PROVIDERS[entry.data[CONF_PROVIDER]]
        reconfigure = step_id == "reconfigure"
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_flatten(user_input)}
            account_id, errors = await self._async_check(spec, data, entry)
            if not errors:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                # One reload, by Home Assistant: the entry has no update listener.
                return self.async_update_reload_and_abort(entry, data=data)
        names = spec.reconfigure_fields if reconfigure else spec.reauth_fields
        fields = tuple(item for item in spec.fields if item.key in names)
        schema: dict[vol.Marker, Any] = _field_schema(fields)
        if reconfigure:
            schema |= _advanced_section(spec, entry.data.get(CONF_URL))
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema(schema),
            errors=errors,
            description_placeholders={"account": entry.title, "provider": spec.name},
        )
