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
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import RequestGate
from .api.errors import (
    AuthError,
    InvalidRequest,
    InvalidResponse,
    ProviderUnavailable,
    QuotaExceeded,
)
from .api.voipzeker import async_provision, normalize_invitation
from .const import (
    CONF_INVITATION_ID,
    CONF_LOGIN_TOKEN,
    CONF_PROVIDER,
    DOMAIN,
    LOGGER,
    PROVIDER_NAMES,
    PROVIDER_VDB,
    PROVIDER_VOIPZEKER,
)
from .options_flow import HostedPbxOptionsFlow
from .providers import DEFAULT_URLS, IMPLEMENTED, create_client

SECTION_ADVANCED = "advanced"
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_EMAIL = TextSelector(TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username"))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_INVITATION = TextSelector()


def _form_error(err: Exception) -> str:
    """The form's base error for what provisioning raised."""
    if isinstance(err, AuthError):
        return "invalid_auth"
    if isinstance(err, QuotaExceeded):
        return "rate_limited"
    if isinstance(err, ProviderUnavailable | InvalidResponse):
        return "cannot_connect"
    LOGGER.error("Unexpected error while provisioning a VOIPZeker invitation", exc_info=err)
    return "unknown"


def _advanced_section(provider: str) -> dict[vol.Marker, Any]:
    """The API address, folded away: only resellers' customers need to change it."""
    fields = {vol.Optional(CONF_URL, default=DEFAULT_URLS[provider]): _URL}
    return {vol.Required(SECTION_ADVANCED): section(vol.Schema(fields), {"collapsed": True})}


def _entry_gate(entry: ConfigEntry | None) -> RequestGate | None:
    """A loaded entry's requests count against the account's budget."""
    runtime = getattr(entry, "runtime_data", None) if entry is not None else None
    return runtime.budget.gate if runtime is not None else None


def _flatten(user_input: dict[str, Any]) -> dict[str, Any]:
    """Entry data keeps the section's fields at the top level."""
    data = {key: value for key, value in user_input.items() if key != SECTION_ADVANCED}
    advanced: dict[str, Any] = user_input.get(SECTION_ADVANCED, {})
    return data | advanced


class HostedPbxConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an account of one of the supported providers."""

    VERSION = 1

    def __init__(self) -> None:
        """Nothing provisioned yet."""
        # Invitation id -> login token: an invitation works once, so a retry after a failed
        # validation reuses the token instead of presenting the spent invitation again.
        self._provisioned: dict[str, str] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> HostedPbxOptionsFlow:
        """Options: what to watch and the quota share."""
        return HostedPbxOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the provider."""
        return self.async_show_menu(step_id="user", menu_options=list(IMPLEMENTED))

    async def async_step_vdb(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """VdB Diensten: the portal e-mail address and password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: PROVIDER_VDB, **_flatten(user_input)}
            account_id, errors = await self._validate(data)
            if not errors:
                return await self._async_create(data, account_id, user_input[CONF_USERNAME])
        fields: dict[vol.Marker, Any] = {
            vol.Required(CONF_USERNAME): _EMAIL,
            vol.Required(CONF_PASSWORD): _PASSWORD,
        }
        return self._show_credentials_form(PROVIDER_VDB, fields, user_input, errors)

    async def async_step_voipzeker(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """VOIPZeker: the single-use invitation id of the Unite portal's App provisioning."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_PROVIDER: PROVIDER_VOIPZEKER, **_flatten(user_input)}
            errors = await self._async_provision(data)
            if not errors:
                account_id, errors = await self._validate(data)
            if not errors:
                return await self._async_create(data, account_id, account_id)
        fields: dict[vol.Marker, Any] = {vol.Required(CONF_INVITATION_ID): _INVITATION}
        return self._show_credentials_form(PROVIDER_VOIPZEKER, fields, user_input, errors)

    async def _async_create(
        self, data: dict[str, Any], account_id: str, shown_as: str
    ) -> ConfigFlowResult:
        """One entry per account: abort if this one is already set up."""
        await self.async_set_unique_id(account_id)
        self._abort_if_unique_id_configured()
        title = f"{PROVIDER_NAMES[data[CONF_PROVIDER]]} ({shown_as})"
        return self.async_create_entry(title=title, data=data)

    def _show_credentials_form(
        self,
        provider: str,
        fields: dict[vol.Marker, Any],
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
    ) -> ConfigFlowResult:
        """A provider's credential form, with the API address folded away."""
        schema = vol.Schema(fields).extend(_advanced_section(provider))
        return self.async_show_form(
            step_id=provider,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def _async_provision(
        self, data: dict[str, Any], entry: ConfigEntry | None = None
    ) -> dict[str, str]:
        """Swap ``data``'s invitation id for a login token; errors keyed for the form.

        The invitation id leaves ``data`` whatever happens: it is never stored.
        """
        try:
            invitation = normalize_invitation(str(data.pop(CONF_INVITATION_ID, "")))
        except InvalidRequest:
            return {CONF_INVITATION_ID: "invalid_invitation"}
        if invitation not in self._provisioned:
            gate = _entry_gate(entry)
            url = data.get(CONF_URL) or DEFAULT_URLS[PROVIDER_VOIPZEKER]
            session = async_get_clientsession(self.hass)
            try:
                self._provisioned[invitation] = await async_provision(
                    session, invitation, url, gate
                )
            except Exception as err:  # every error becomes a form error
                return {"base": _form_error(err)}
        data[CONF_LOGIN_TOKEN] = self._provisioned[invitation]
        return {}

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The provider stopped accepting the password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password, or for VOIPZeker a new invitation id."""
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
        voipzeker = entry.data[CONF_PROVIDER] == PROVIDER_VOIPZEKER
        if user_input is not None:
            data = {**entry.data, **user_input}
            if CONF_INVITATION_ID in data:
                errors = await self._async_provision(data, entry)
            if not errors:
                account_id, errors = await self._validate(data, entry)
            if not errors:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)
        fields: dict[vol.Marker, Any] = {}
        if not voipzeker:
            fields[vol.Required(CONF_PASSWORD)] = _PASSWORD
        elif not with_url:  # VOIPZeker's reauth: a new invitation gives a new login token
            fields[vol.Required(CONF_INVITATION_ID)] = _INVITATION
        if with_url:
            url = entry.data.get(CONF_URL) or DEFAULT_URLS[entry.data[CONF_PROVIDER]]
            fields[vol.Required(CONF_URL, default=url)] = _URL
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema(fields),
            errors=errors,
            description_placeholders={
                CONF_USERNAME: entry.data.get(CONF_USERNAME) or entry.unique_id or entry.title
            },
        )

    async def _validate(
        self, data: dict[str, Any], entry: ConfigEntry | None = None
    ) -> tuple[str, dict[str, str]]:
        """One cheap read with the given credentials; errors keyed for the form."""
        session = async_get_clientsession(self.hass)
        client = create_client(data[CONF_PROVIDER], data, session, _entry_gate(entry))
        try:
            await client.async_validate()
        except AuthError:
            return "", {"base": "invalid_auth"}
        except QuotaExceeded:
            return "", {"base": "rate_limited"}
        except (ProviderUnavailable, InvalidResponse):
            return "", {"base": "cannot_connect"}
        except Exception:
            LOGGER.exception(
                "Unexpected error while validating %s credentials", data[CONF_PROVIDER]
            )
            return "", {"base": "unknown"}
        return client.account_id, {}
