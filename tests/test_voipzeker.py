"""VOIPZeker Unite through Home Assistant, against the simulator.

Config flow with the single-use invitation, reauth, token renewal while polling, statuses,
switches and do-not-disturb, click-to-call, calls today, the quota over two hours, the webhook
push, bad answers, and secrets kept out of logs and diagnostics.
"""

from __future__ import annotations

from datetime import datetime
import json
import logging
from typing import Any, cast
from unittest.mock import patch
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_URL, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.network import get_url
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.hosted_pbx.api.errors import ProviderUnavailable
from custom_components.hosted_pbx.api.voipzeker import VoipzekerClient
from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN, EVENT_CALL
from custom_components.hosted_pbx.diagnostics import async_get_config_entry_diagnostics
from simulator.common import Fault
from simulator.voipzeker import AMSTERDAM, VoipzekerSimulator

from .conftest import LOGIN_TOKEN, TENANT
from .helpers import advance, device_id, entity_id, run_for

TWO_HOURS = 2 * 3600


def _ext(sim: VoipzekerSimulator, index: int) -> str:
    return str(sim.extensions[index]["id"])


def _switch_entity(hass: HomeAssistant, target: str, target_id: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{TENANT}|{target}|{target_id}|{key}"
    )
    assert found is not None, f"no switch {target} {target_id} {key}"
    return found


def _status(hass: HomeAssistant, sim: VoipzekerSimulator, index: int) -> str:
    state = hass.states.get(
        entity_id(hass, TENANT, "extension", _ext(sim, index), "extension_status")
    )
    assert state is not None
    return state.state


async def _form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "voipzeker" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "voipzeker"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "voipzeker"
    return str(result["flow_id"])


async def _submit(hass: HomeAssistant, sim: VoipzekerSimulator, invitation: str) -> Any:
    flow_id = await _form(hass)
    return await hass.config_entries.flow.async_configure(
        flow_id,
        {"invitation_id": invitation, "advanced": {CONF_URL: sim.url}},
    )


# --- config flow ---------------------------------------------------------------------------


async def test_flow_creates_entry_and_stores_no_invitation(
    hass: HomeAssistant, zeker: VoipzekerSimulator
) -> None:
    invitation = zeker.invitation_id
    result = await _submit(hass, zeker, invitation.lower())  # typed in lower case: same id
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"VOIPZeker ({TENANT})"
    entry = result["result"]
    assert entry.unique_id == TENANT
    assert entry.data[CONF_PROVIDER] == "voipzeker"
    assert entry.data["login_token"] in zeker.login_tokens
    assert invitation not in json.dumps(dict(entry.data))
    assert "invitation_id" not in entry.data
    assert entry.state is ConfigEntryState.LOADED
    assert zeker.requests["appprovision"] == 1


async def test_url_is_in_a_collapsed_section(hass: HomeAssistant) -> None:
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, None)
    schema = result["data_schema"].schema
    assert CONF_URL not in schema
    assert "invitation_id" in schema
    assert schema["advanced"].options == {"collapsed": True}


@pytest.mark.parametrize("invitation", ["ABC12", "ABC1234", "AB-123", "", "ÄBC123"])
async def test_bad_format_is_refused_before_any_request(
    hass: HomeAssistant, zeker: VoipzekerSimulator, invitation: str
) -> None:
    result = await _submit(hass, zeker, invitation)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"invitation_id": "invalid_invitation"}
    assert sum(zeker.requests.values()) == 0


async def test_refused_invitation_then_a_good_one(
    hass: HomeAssistant, zeker: VoipzekerSimulator
) -> None:
    flow_id = await _form(hass)
    url = zeker.url
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"invitation_id": "ZZZZZZ", "advanced": {CONF_URL: url}}
    )
    assert result["errors"] == {"base": "invalid_invitation_used"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"invitation_id": zeker.invitation_id, "advanced": {CONF_URL: url}}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_invitation_is_single_use(hass: HomeAssistant, zeker: VoipzekerSimulator) -> None:
    invitation = zeker.invitation_id
    result = await _submit(hass, zeker, invitation)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    result = await _submit(hass, zeker, invitation)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_invitation_used"}
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_same_tenant_cannot_be_added_twice(
    hass: HomeAssistant, zeker: VoipzekerSimulator
) -> None:
    result = await _submit(hass, zeker, zeker.invitation_id)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    result = await _submit(hass, zeker, zeker.issue_invitation())
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_retry_after_a_failed_check_reuses_the_provisioned_token(
    hass: HomeAssistant, zeker: VoipzekerSimulator
) -> None:
    flow_id = await _form(hass)
    url = zeker.url
    fields = {"invitation_id": zeker.invitation_id, "advanced": {CONF_URL: url}}
    zeker.fault = Fault.HTTP_500
    result = await hass.config_entries.flow.async_configure(flow_id, fields)
    assert result["errors"] == {"base": "cannot_connect"}
    assert zeker.requests["appprovision"] == 1
    zeker.fault = Fault.NONE
    zeker.force_error = (None, "Maintenance")  # provisioning passes, the check is refused
    zeker.invitations.add(zeker.invitation_id)
    result = await hass.config_entries.flow.async_configure(flow_id, fields)
    assert result["errors"] == {"base": "cannot_connect"}
    assert zeker.requests["appprovision"] == 2
    zeker.force_error = None
    result = await hass.config_entries.flow.async_configure(flow_id, fields)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The spent invitation was not sent again.
    assert zeker.requests["appprovision"] == 2


@pytest.mark.parametrize(
    ("fault", "error"), [(Fault.QUOTA, "rate_limited"), (Fault.HTML, "cannot_connect")]
)
async def test_provisioning_errors(
    hass: HomeAssistant, zeker: VoipzekerSimulator, fault: Fault, error: str
) -> None:
    zeker.fault = fault
    result = await _submit(hass, zeker, zeker.invitation_id)
    assert result["errors"] == {"base": error}


async def test_reauth_asks_for_a_new_invitation(
    hass: HomeAssistant, zeker: VoipzekerSimulator, zeker_entry: MockConfigEntry
) -> None:
    loaded_zeker = zeker_entry
    zeker.revoke_login_tokens()  # the App template was reset in the portal
    assert not await hass.config_entries.async_setup(zeker_entry.entry_id)
    await hass.async_block_till_done()
    assert zeker_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, None)
    assert result["step_id"] == "reauth_confirm"
    assert set(result["data_schema"].schema) == {"invitation_id"}
    assert result["description_placeholders"]["account"] == loaded_zeker.title

    result = await hass.config_entries.flow.async_configure(flow_id, {"invitation_id": "12"})
    assert result["errors"] == {"invitation_id": "invalid_invitation"}
    result = await hass.config_entries.flow.async_configure(flow_id, {"invitation_id": "ZZZZZZ"})
    assert result["errors"] == {"base": "invalid_invitation_used"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"invitation_id": zeker.issue_invitation()}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert zeker_entry.data["login_token"] != LOGIN_TOKEN
    assert zeker_entry.data["login_token"] in zeker.login_tokens
    assert "invitation_id" not in zeker_entry.data
    assert zeker_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_asks_only_for_the_url(
    hass: HomeAssistant, zeker: VoipzekerSimulator, loaded_zeker: MockConfigEntry
) -> None:
    result = await loaded_zeker.start_reconfigure_flow(hass)
    assert set(result["data_schema"].schema) == {"advanced"}
    assert set(result["data_schema"].schema["advanced"].schema.schema) == {CONF_URL}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"advanced": {CONF_URL: zeker.url}},
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"


# --- polling -------------------------------------------------------------------------------


async def test_token_expiry_while_polling_keeps_entities_available(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    status = entity_id(hass, TENANT, "extension", _ext(zeker, 0), "extension_status")
    await run_for(hass, freezer, 30)
    zeker.expire_access_tokens()
    logins = zeker.requests["applogin"]
    for _ in range(45 * 60 // 5):  # past the 30-minute lifetime as well
        await advance(hass, freezer, 5)
        assert hass.states.get(status).state != STATE_UNAVAILABLE
    assert zeker.token_rejections >= 1
    assert zeker.requests["applogin"] >= logins + 2  # renewed on errorCode 90, then in time
    assert loaded_zeker.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("code", "state"),
    [(0, "never_registered"), (2, "offline"), (3, "ringing"), (4, "dialing"), (6, "in_call")],
)
async def test_status_changes_are_reflected(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
    code: int,
    state: str,
) -> None:
    assert _status(hass, zeker, 1) == "idle"
    zeker.set_status(_ext(zeker, 1), code)
    await run_for(hass, freezer, 20)
    assert _status(hass, zeker, 1) == state
    zeker.set_status(_ext(zeker, 1), 1)
    await run_for(hass, freezer, 60)  # the load spent much of the first minute's budget
    assert _status(hass, zeker, 1) == "idle"


async def test_unite_switch_toggles_and_refusal(
    hass: HomeAssistant, loaded_zeker: MockConfigEntry, zeker: VoipzekerSimulator
) -> None:
    switch = _switch_entity(hass, "account", "2", "unite_switch")  # "Vakantie", off
    assert hass.states.get(switch).state == STATE_OFF
    assert hass.states.get(switch).attributes["friendly_name"].endswith("Vakantie")
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert zeker.switch("2")["state"] is True
    assert hass.states.get(switch).state == STATE_ON
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert zeker.switch("2")["state"] is False
    assert hass.states.get(switch).state == STATE_OFF

    zeker.refuse_switch("2")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert err.value.translation_key == "refused"
    assert zeker.switch("2")["state"] is False
    assert hass.states.get(switch).state == STATE_OFF


async def test_do_not_disturb_toggles(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    ext = _ext(zeker, 2)
    # DND states are not read at setup (it stays within the polling share): polling
    # takes them in turn, and the switch appears with the first read.
    await run_for(hass, freezer, 120, step=3)
    switch = _switch_entity(hass, "extension", ext, "do_not_disturb")
    assert hass.states.get(switch).state == STATE_OFF
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert zeker.dnd[ext] is True
    assert hass.states.get(switch).state == STATE_ON
    # A change costs two requests of the 3-request action reserve: the next one waits
    # for the window (polling has used its share meanwhile).
    await advance(hass, freezer, 62)
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert zeker.dnd[ext] is False
    assert hass.states.get(switch).state == STATE_OFF
    # On the extension's device, next to its status.
    entry = er.async_get(hass).async_get(switch)
    assert entry is not None
    assert entry.device_id == device_id(hass, TENANT, "extension", ext)


async def test_switch_error_other_than_refusal(
    hass: HomeAssistant, loaded_zeker: MockConfigEntry, zeker: VoipzekerSimulator
) -> None:
    switch = _switch_entity(hass, "account", "1", "unite_switch")
    zeker.fault = Fault.HTTP_500
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert err.value.translation_key == "unavailable"
    assert hass.states.get(switch).state == STATE_ON


async def test_click_to_call(
    hass: HomeAssistant, loaded_zeker: MockConfigEntry, zeker: VoipzekerSimulator
) -> None:
    device = device_id(hass, TENANT, "extension", _ext(zeker, 1))
    response = await hass.services.async_call(
        DOMAIN,
        "click_to_call",
        {"device_id": device, "number": "06 1234 5678"},
        blocking=True,
        return_response=True,
    )
    assert zeker.calls == [{"username": f"{TENANT}*0201", "call_number": "31612345678"}]
    assert response is not None
    assert response["extension"] == f"{TENANT}*0201"


async def test_calls_today_sensors(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    missed = entity_id(hass, TENANT, "account", TENANT, "calls_missed_today")
    answered = entity_id(hass, TENANT, "account", TENANT, "calls_answered_today")

    def expected() -> tuple[int, int]:
        today = datetime.now(AMSTERDAM).date()
        inbound = [e for e in zeker.cdr if e.direction == "in" and e.when.date() == today]
        return (
            sum(not e.answered for e in inbound),
            sum(e.answered for e in inbound),
        )

    assert (int(hass.states.get(missed).state), int(hass.states.get(answered).state)) == expected()
    zeker.add_cdr(_ext(zeker, 0), answered=False)
    zeker.add_cdr(_ext(zeker, 0), answered=True, internal=True)
    zeker.add_cdr(_ext(zeker, 0), direction="out")  # outbound calls do not count
    await run_for(hass, freezer, 300, step=5)  # a low rate: not yet
    assert int(hass.states.get(missed).state) == expected()[0] - 1
    await run_for(hass, freezer, 700, step=5)
    assert (int(hass.states.get(missed).state), int(hass.states.get(answered).state)) == expected()


@pytest.mark.parametrize("fault", [Fault.HTTP_500, Fault.HTML, Fault.TRUNCATED, Fault.QUOTA])
async def test_bad_answers_make_entities_unavailable_then_recover(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
    fault: Fault,
) -> None:
    status = entity_id(hass, TENANT, "extension", _ext(zeker, 0), "extension_status")
    dnd = _switch_entity(hass, "extension", _ext(zeker, 0), "do_not_disturb")
    zeker.fault = fault
    await run_for(hass, freezer, 30, step=5)
    assert hass.states.get(status).state == STATE_UNAVAILABLE
    assert hass.states.get(dnd).state == STATE_UNAVAILABLE
    zeker.fault = Fault.NONE
    await run_for(hass, freezer, 120, step=5)
    assert hass.states.get(status).state == "idle"
    assert hass.states.get(dnd).state == STATE_OFF
    assert loaded_zeker.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("zeker_options", [{"extensions": 50, "switches": 10}])
async def test_two_hours_of_polling_and_toggling_stay_within_quota(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    switch = _switch_entity(hass, "account", "3", "unite_switch")
    dnd = _switch_entity(hass, "extension", _ext(zeker, 0), "do_not_disturb")
    toggles = 0
    for second in range(TWO_HOURS):
        if second % 5 == 0:
            zeker.tick()
        if second % 150 == 0:  # each toggle is two requests out of the action reserve
            entity = switch if second % 300 == 0 else dnd
            await hass.services.async_call("switch", "toggle", {"entity_id": entity}, blocking=True)
            toggles += 1
        await advance(hass, freezer, 1)

    assert zeker.quota.violations == 0
    assert zeker.requests["updateswitch"] + zeker.requests["setextensionproperties"] == toggles
    statuses = zeker.requests["listextensionsstatus"]
    interval = TWO_HOURS / statuses
    # Reported in the summary of the HA layer: total requests and the status interval.
    print(
        f"\nrequests={zeker.quota.total} statuses={statuses} interval={interval:.1f}s "
        f"dnd_reads={zeker.requests['getextensionproperties']} "
        f"switch_lists={zeker.requests['listswitches']} cdr={zeker.requests['listcdrlogs']}"
    )
    assert zeker.requests["listcdrlogs"] <= 2 * (TWO_HOURS // 900 + 1)
    # Every extension's DND is read in the two hours.
    assert len(hass.states.async_entity_ids("switch")) == 50 + 10


# --- push ----------------------------------------------------------------------------------


class _TestClientSession:
    """What ``fire_webhook`` needs of a session, sent through Home Assistant's test client."""

    def __init__(self, client: TestClient) -> None:
        self._client = client

    def request(self, method: str, url: str) -> Any:
        parts = urlsplit(url)
        return self._client.request(method, f"{parts.path}?{parts.query}")


@pytest.fixture
async def pushed(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    zeker_entry: MockConfigEntry,
) -> Any:
    """Home Assistant with a URL and the webhook component, the entry loaded."""
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.nl"})
    assert await async_setup_component(hass, "webhook", {})
    with patch("custom_components.hosted_pbx.webhook.get_url", wraps=get_url):
        assert await hass.config_entries.async_setup(zeker_entry.entry_id)
        await hass.async_block_till_done()
    return cast(Any, _TestClientSession(cast(TestClient, await hass_client_no_auth())))


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_webhook_fires_an_event_and_refreshes_the_status(
    hass: HomeAssistant,
    pushed: Any,
    zeker_entry: MockConfigEntry,
    zeker: VoipzekerSimulator,
    method: str,
) -> None:
    assert zeker.webhook_url is not None
    assert zeker.webhook_url.startswith("https://ha.example.nl/api/webhook/")
    assert "{calluniqueid}" in zeker.webhook_url
    events = async_capture_events(hass, EVENT_CALL)
    zeker.set_status(_ext(zeker, 0), 3)
    status = await zeker.fire_webhook(pushed, method, callfrom="31612345678")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert status == 200
    assert len(events) == 1
    assert events[0].data["from"] == "31612345678"
    assert events[0].data["to"] == f"{TENANT}*0200"
    assert events[0].data["status"] == "incoming_ringing"
    assert events[0].data["direction"] == "inbound"
    assert events[0].data["config_entry_id"] == zeker_entry.entry_id
    assert _status(hass, zeker, 0) == "ringing"  # read at once, not at the next slot


async def test_webhook_ignores_invalid_calls(
    hass: HomeAssistant, pushed: Any, zeker: VoipzekerSimulator
) -> None:
    events = async_capture_events(hass, EVENT_CALL)
    before = zeker.requests["listextensionsstatus"]
    invalid: list[dict[str, str]] = [
        {"callto": "31201234567"},  # not one of ours
        {"status_desc": "EXPLODED"},
        {"direction": "sideways"},
        {"timestamp": "1000"},  # decades old
        {"calluniqueid": "x" * 200},
        {"callfrom": "31612345678; DROP"},
    ]
    for fields in invalid:
        assert await zeker.fire_webhook(pushed, "GET", **fields) == 200
    assert (await pushed.request("GET", "http://x/api/webhook/nonsense?a=b")).status == 200
    webhook_path = urlsplit(zeker.webhook_url or "").path
    response = await pushed._client.post(
        webhook_path, data=b"\x00garbage", headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    assert zeker.requests["listextensionsstatus"] == before


async def test_webhook_unregistered_on_unload(
    hass: HomeAssistant, pushed: Any, zeker_entry: MockConfigEntry, zeker: VoipzekerSimulator
) -> None:
    webhook_id = urlsplit(zeker.webhook_url or "").path.rsplit("/", 1)[1]
    assert webhook_id in hass.data["webhook"]
    assert await hass.config_entries.async_unload(zeker_entry.entry_id)
    assert webhook_id not in hass.data["webhook"]
    assert zeker.requests["setapptemplatesettings"] == 1  # nothing cleared at the provider


async def test_no_url_means_polling_only(
    hass: HomeAssistant, zeker_entry: MockConfigEntry, zeker: VoipzekerSimulator
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    assert await hass.config_entries.async_setup(zeker_entry.entry_id)
    assert zeker.webhook_url is None
    assert zeker.requests["setapptemplatesettings"] == 0


async def test_webhook_setting_failure_keeps_polling_and_retries(
    hass: HomeAssistant,
    zeker_entry: MockConfigEntry,
    zeker: VoipzekerSimulator,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.nl"})
    assert await async_setup_component(hass, "webhook", {})
    with (
        patch("custom_components.hosted_pbx.webhook.get_url", wraps=get_url),
        patch.object(
            VoipzekerClient, "async_set_webhook", side_effect=ProviderUnavailable("timed out")
        ),
    ):
        assert await hass.config_entries.async_setup(zeker_entry.entry_id)
    assert zeker_entry.state is ConfigEntryState.LOADED
    assert caplog.text.count("push not set up yet (timed out)") == 1
    assert zeker.webhook_url is None
    # The webhook id is kept in the entry and set at the provider as soon as it can be.
    webhook_id = zeker_entry.data["webhook_id"]
    assert webhook_id in hass.data["webhook"]
    await run_for(hass, freezer, 310, step=10)
    assert zeker.webhook_url is not None
    assert webhook_id in zeker.webhook_url
    # A reload keeps the same webhook and does not set it again.
    requests = zeker.requests["setapptemplatesettings"]
    assert await hass.config_entries.async_reload(zeker_entry.entry_id)
    await hass.async_block_till_done()
    assert zeker_entry.data["webhook_id"] == webhook_id
    assert zeker.requests["setapptemplatesettings"] == requests


# --- secrets -------------------------------------------------------------------------------


async def test_no_token_or_invitation_in_logs_or_diagnostics(
    hass: HomeAssistant,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await _submit(hass, zeker, "ZZZZZZ")
    result = await _submit(hass, zeker, zeker.invitation_id)
    await hass.async_block_till_done()
    entry = result["result"]
    zeker.expire_access_tokens()
    for fault in (Fault.HTTP_500, Fault.HTML, Fault.TRUNCATED, Fault.QUOTA, Fault.NONE):
        zeker.fault = fault
        await run_for(hass, freezer, 120, step=5)
    zeker.set_status(_ext(zeker, 0), 6)
    await run_for(hass, freezer, 30, step=5)
    zeker.revoke_login_tokens()
    zeker.forget_access_tokens()
    await run_for(hass, freezer, 30, step=5)  # reauth starts
    assert any(
        flow["context"]["source"] == "reauth" for flow in hass.config_entries.flow.async_progress()
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(diagnostics)
    secrets = [*zeker.issued_secrets, "ZZZZZZ"]
    assert len(secrets) >= 4
    for secret in secrets:
        assert secret not in text
    for record in caplog.records:
        line = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        for secret in secrets:
            assert secret not in line, f"secret in log: {line}"
    assert diagnostics["provider"] == "voipzeker"


async def test_429_stops_every_request_until_the_window_clears(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    zeker.fault = Fault.QUOTA
    await run_for(hass, freezer, 5, step=1)
    zeker.fault = Fault.NONE
    refused_at = zeker.quota.total
    await run_for(hass, freezer, 55, step=1)
    assert zeker.quota.total == refused_at  # nothing sent into the provider's minute
    await run_for(hass, freezer, 30, step=1)
    assert zeker.quota.total > refused_at
    assert zeker.quota.violations == 0


async def test_webhook_replays_fire_one_event(
    hass: HomeAssistant, pushed: Any, zeker: VoipzekerSimulator
) -> None:
    events = async_capture_events(hass, EVENT_CALL)
    for _ in range(30):  # the same call event posted again and again
        await zeker.fire_webhook(pushed, "GET", callfrom="31612345678", calluniqueid="call-1")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1


async def test_lan_url_is_never_handed_to_the_provider(
    hass: HomeAssistant, zeker_entry: MockConfigEntry, zeker: VoipzekerSimulator
) -> None:
    from homeassistant.helpers import issue_registry as ir

    await async_process_ha_core_config(hass, {"internal_url": "http://ha.local:8123"})
    assert await async_setup_component(hass, "webhook", {})
    with patch("custom_components.hosted_pbx.webhook.get_url", wraps=get_url):
        assert await hass.config_entries.async_setup(zeker_entry.entry_id)
        await hass.async_block_till_done()
    assert zeker.webhook_url is None
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"no_external_url_{zeker_entry.entry_id}")
    assert issue is not None


async def test_restart_with_a_busy_window_keeps_the_action_reserve(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await run_for(hass, freezer, 50, step=2)  # polling fills its share of the minute
    assert await hass.config_entries.async_reload(loaded_zeker.entry_id)
    await hass.async_block_till_done()
    budget = loaded_zeker.runtime_data.coordinator.budget
    assert budget.used() <= budget.poll_limit  # setup did not spend the reserve
    device = device_id(hass, TENANT, "extension", _ext(zeker, 0))
    # The reserve (3) is whole. A fresh client's first call also logs in and lists the
    # extensions (3 requests in all), which the reserve covers.
    for _ in range(1):
        await hass.services.async_call(
            DOMAIN,
            "click_to_call",
            {"device_id": device, "number": "0612345678"},
            blocking=True,
        )
    assert zeker.quota.violations == 0


async def test_slow_values_and_devices_survive_a_reload(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    missed = entity_id(hass, TENANT, "account", TENANT, "calls_missed_today")
    await run_for(hass, freezer, 60, step=3)  # the calls-today read has been done
    before = hass.states.get(missed).state
    assert before not in ("unknown", "unavailable")
    await run_for(hass, freezer, 40, step=2)  # the request window is busy now
    assert await hass.config_entries.async_reload(loaded_zeker.entry_id)
    await hass.async_block_till_done()
    # Straight after the reload, before any read: the last count, not "unknown".
    assert hass.states.get(missed).state == before
    status = _status(hass, zeker, 0)
    assert status != "unavailable"
    assert zeker.quota.violations == 0


async def test_pushed_call_shows_on_the_extensions_event_entity(
    hass: HomeAssistant, pushed: Any, zeker: VoipzekerSimulator
) -> None:
    calls = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{TENANT}|extension|{_ext(zeker, 0)}|calls"
    )
    assert calls is not None
    await zeker.fire_webhook(pushed, "GET", callfrom="31612345678", calluniqueid="call-7")
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(calls)
    assert state is not None
    assert state.attributes["event_type"] == "incoming_call"
    assert state.attributes["from"] == "31612345678"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (("INCOMING_RINGING", "DISCONNECTED"), ["incoming_call", "missed"]),
        (
            ("INCOMING_RINGING", "CONNECTED", "DISCONNECTED"),
            ["incoming_call", "answered", "ended"],
        ),
        # Home Assistant came up mid-call: no ring seen, so no claim it was missed.
        (("DISCONNECTED",), ["ended"]),
    ],
)
async def test_a_ring_disconnected_unanswered_is_missed(
    hass: HomeAssistant,
    pushed: Any,
    zeker: VoipzekerSimulator,
    statuses: tuple[str, ...],
    expected: list[str],
) -> None:
    calls = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{TENANT}|extension|{_ext(zeker, 0)}|calls"
    )
    assert calls is not None
    shown: list[str] = []
    for status_desc in statuses:
        await zeker.fire_webhook(
            pushed, "GET", callfrom="31612345678", calluniqueid="call-11", status_desc=status_desc
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        state = hass.states.get(calls)
        assert state is not None
        shown.append(state.attributes["event_type"])
    assert shown == expected


# --- caller names from the phonebook -------------------------------------------------------


async def _phonebook_read(hass: HomeAssistant, zeker: VoipzekerSimulator, freezer: Any) -> None:
    """Poll until the phonebook has been read (with the first slow reads)."""
    for _ in range(60):
        if zeker.requests["listphonebookitems"]:
            break
        await advance(hass, freezer, 2)
    assert zeker.requests["listphonebookitems"] == 1


async def test_phonebook_names_survive_a_reload_without_reading_it_again(
    hass: HomeAssistant,
    pushed: Any,
    zeker_entry: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _phonebook_read(hass, zeker, freezer)
    await advance(hass, freezer, 70)  # the cache is written a minute after a slow read
    # As the fixture's setup: Home Assistant's URL as the webhook module looks it up.
    with patch("custom_components.hosted_pbx.webhook.get_url", wraps=get_url):
        assert await hass.config_entries.async_reload(zeker_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    events = async_capture_events(hass, EVENT_CALL)
    status = await zeker.fire_webhook(pushed, "GET", callfrom="31612345678", calluniqueid="call-12")
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[-1].data["name"] == "Jan de Vries"
    assert zeker.requests["listphonebookitems"] == 1  # named from the cache


async def test_pushed_call_from_a_phonebook_number_carries_the_name(
    hass: HomeAssistant,
    pushed: Any,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _phonebook_read(hass, zeker, freezer)
    events = async_capture_events(hass, EVENT_CALL)
    calls = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{TENANT}|extension|{_ext(zeker, 0)}|calls"
    )
    assert calls is not None
    await zeker.fire_webhook(pushed, "GET", callfrom="31612345678", calluniqueid="call-8")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[-1].data["from"] == "31612345678"
    assert events[-1].data["name"] == "Jan de Vries"
    state = hass.states.get(calls)
    assert state is not None
    assert state.attributes["event_type"] == "incoming_call"
    assert state.attributes["name"] == "Jan de Vries"
    # Outbound, the other party is the called number: a company in the phonebook.
    await zeker.fire_webhook(
        pushed,
        "GET",
        callfrom=f"{TENANT}*0200",
        callto="0201234567",
        direction="out",
        status_desc="OUTGOING_RINGING",
        calluniqueid="call-9",
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[-1].data["name"] == "Loodgietersbedrijf Smit"
    # A number the phonebook does not have: no name, the number as it came.
    await zeker.fire_webhook(pushed, "GET", callfrom="31687654321", calluniqueid="call-10")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[-1].data["from"] == "31687654321"
    assert "name" not in events[-1].data
    state = hass.states.get(calls)
    assert state is not None
    assert "name" not in state.attributes


async def test_refused_phonebook_is_switched_off_and_the_rest_keeps_working(
    hass: HomeAssistant,
    zeker: VoipzekerSimulator,
    zeker_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    zeker.phonebook_refused = True
    assert await hass.config_entries.async_setup(zeker_entry.entry_id)
    await hass.async_block_till_done()
    await _phonebook_read(hass, zeker, freezer)
    zeker.set_status(_ext(zeker, 1), 3)
    await run_for(hass, freezer, 3600, step=30)
    assert zeker.requests["listphonebookitems"] == 1  # asked once, then left alone
    assert _status(hass, zeker, 1) == "ringing"
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"permission_{zeker_entry.entry_id}_phonebook"
    )
    assert issue is not None
    diagnostics = await async_get_config_entry_diagnostics(hass, zeker_entry)
    assert diagnostics["disabled_reads"] == ["phonebook"]


async def test_phonebook_names_and_numbers_stay_out_of_diagnostics(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _phonebook_read(hass, zeker, freezer)
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_zeker)
    assert diagnostics["data"]["phonebook_numbers"] == len(zeker.phonebook)
    text = json.dumps(diagnostics)
    for row in zeker.phonebook:
        for value in (row["lastname"], row["companyname"], row["phonenumber"][2:]):
            if value:
                assert value not in text
