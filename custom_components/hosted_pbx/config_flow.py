"""Config flow: choose a provider, enter its credentials; reauth and reconfigure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import RequestGate
from .api.errors import AuthError, InvalidResponse, ProviderUnavailable, QuotaExceeded
from .const import CONF_PROVIDER, DOMAIN, LOGGER, PROVIDER_NAMES, PROVIDER_VDB
from .providers import DEFAULT_URLS, IMPLEMENTED, create_client

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_EMAIL = TextSelector(TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username"))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


class HostedPbxConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an account of one of the supported providers."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the provider."""
        return self.async_show_menu(step_id="user", menu_options=list(IMPLEMENTED))

    async def async_step_vdb(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """VdB Diensten: the portal e-mail address and password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: PROVIDER_VDB, **user_input}
            account_id, errors = await self._validate(data)
            if not errors:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_configured()
                title = f"{PROVIDER_NAMES[PROVIDER_VDB]} ({user_input[CONF_USERNAME]})"
                return self.async_create_entry(title=title, data=data)
        schema = vol.Schema(
            {
                vol.Required(CONF_USERNAME): _EMAIL,
                vol.Required(CONF_PASSWORD): _PASSWORD,
            }
        )
        if self.show_advanced_options:
            schema = schema.extend(
                {vol.Optional(CONF_URL, default=DEFAULT_URLS[PROVIDER_VDB]): _URL}
            )
        return self.async_show_form(
            step_id="vdb",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The provider stopped accepting the password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password."""
        return await self._async_update_credentials(
            "reauth_confirm", self._get_reauth_entry(), user_input, with_url=False
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the password or the API address."""
        return await self._async_update_credentials(
            "reconfigure", self._get_reconfigure_entry(), user_input, with_url=True
        )

    async def _async_update_credentials(
        self,
        step_id: str,
        entry: ConfigEntry,
        user_input: dict[str, Any] | None,
        *,
        with_url: bool,
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            account_id, errors = await self._validate(data, entry)
            if not errors:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)
        fields: dict[vol.Marker, Any] = {vol.Required(CONF_PASSWORD): _PASSWORD}
        if with_url:
            url = entry.data.get(CONF_URL) or DEFAULT_URLS[entry.data[CONF_PROVIDER]]
            fields[vol.Required(CONF_URL, default=url)] = _URL
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema(fields),
            errors=errors,
            description_placeholders={CONF_USERNAME: entry.data.get(CONF_USERNAME, "")},
        )

    async def _validate(
        self, data: dict[str, Any], entry: ConfigEntry | None = None
    ) -> tuple[str, dict[str, str]]:
        """One cheap read with the given credentials; errors keyed for the form."""
        gate: RequestGate | None = None
        if entry is not None and (runtime := getattr(entry, "runtime_data", None)):
            # A loaded entry's requests count against the account's budget.
            gate = runtime.budget.gate
        session = async_get_clientsession(self.hass)
        client = create_client(data[CONF_PROVIDER], data, session, gate)
        try:
            await client.async_validate()
        except AuthError:
            return client.account_id, {"base": "invalid_auth"}
        except QuotaExceeded:
            return client.account_id, {"base": "rate_limited"}
        except (ProviderUnavailable, InvalidResponse):
            return client.account_id, {"base": "cannot_connect"}
        except Exception:
            LOGGER.exception(
                "Unexpected error while validating %s credentials", data[CONF_PROVIDER]
            )
            return client.account_id, {"base": "unknown"}
        return client.account_id, {}
