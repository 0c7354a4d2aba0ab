"""The credit intent: the calling credit of the numbers and the balance of the accounts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, override

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent

from ..coordinator import HostedPbxConfigEntry
from ..devices import Target, async_devices_by_identifier, device_identifier
from .lookup import SpokenDevice, devices_of, entity_of, loaded_entries
from .responses import error_response, spoken_response
from .speech import CURRENCIES, request_language, say, spoken_money

INTENT_CREDIT = "HostedPbxCredit"


def _amount(value: str) -> Decimal | None:
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


class CreditIntent(intent.IntentHandler):
    """Say the credit of the account's numbers and the accounts' balances."""

    intent_type = INTENT_CREDIT
    description = (
        "Tells the remaining calling credit of the phone numbers and the balance of the "
        "accounts of the hosted phone system (Hosted PBX), with currency."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """No slots."""
        return {}

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Read the credit_available and balance sensors and speak them."""
        hass = intent_obj.hass
        language = request_language(intent_obj)
        sentences: list[str] = []
        amounts: list[dict[str, str]] = []
        for entry in loaded_entries(hass):
            for target, key, speech in (
                (Target.NUMBER, "credit_available", "credit_number"),
                (Target.ACCOUNT, "balance", "balance_account"),
            ):
                devices = (
                    devices_of(hass, entry, target)
                    if target is not Target.ACCOUNT
                    else self._account(hass, entry)
                )
                for device in devices:
                    entity_id = entity_of(hass, device, "sensor", key)
                    state = hass.states.get(entity_id) if entity_id else None
                    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                        continue
                    if (amount := _amount(state.state)) is None:
                        continue
                    code = str(state.attributes.get("unit_of_measurement") or "")
                    currency = CURRENCIES[language].get(code, code)
                    sentences.append(
                        say(
                            language,
                            speech,
                            name=device.name,
                            amount=spoken_money(language, amount),
                            currency=currency,
                        )
                    )
                    amounts.append({"name": device.name, "amount": str(amount), "currency": code})
        if not sentences:
            return error_response(intent_obj, say(language, "no_credit"))
        response = spoken_response(intent_obj, " ".join(sentences))
        response.async_set_speech_slots({"credit": amounts})
        return response

    @staticmethod
    def _account(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> list[SpokenDevice]:
        coordinator = entry.runtime_data.coordinator
        identifier = device_identifier(
            coordinator.account_id, Target.ACCOUNT, coordinator.account_id
        )
        device = async_devices_by_identifier(hass, entry.entry_id).get(identifier)
        return (
            []
            if device is None
            else [SpokenDevice(entry, device, Target.ACCOUNT, coordinator.account_id)]
        )
