"""Stand-ins for hassfest and HACS validation, which cannot run here."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import yaml

from custom_components.hosted_pbx.api.models import ExtensionStatus
from custom_components.hosted_pbx.const import DOMAIN
from custom_components.hosted_pbx.sensor import API_REQUESTS, SENSORS
from custom_components.hosted_pbx.switch import SWITCHES

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _keys(tree: Any, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return {key for name, sub in tree.items() for key in _keys(sub, f"{prefix}.{name}")}


def test_manifest() -> None:
    manifest = _json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    # hassfest: domain and name first, the rest sorted.
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    required = {
        "codeowners",
        "config_flow",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "loggers",
        "requirements",
        "version",
    }
    assert required <= set(manifest)
    assert manifest["domain"] == DOMAIN
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["integration_type"] == "hub"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert any(req.startswith("phonenumbers") for req in manifest["requirements"])


def test_hacs_json() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert hacs["name"] == _json(INTEGRATION / "manifest.json")["name"]
    assert set(hacs) <= {"name", "homeassistant", "render_readme", "country", "hacs", "zip_release"}
    pins = (ROOT / "requirements_test.txt").read_text()
    assert f"homeassistant=={hacs['homeassistant']}" in pins


def test_strings_and_translations_match() -> None:
    strings = _json(INTEGRATION / "strings.json")
    english = _json(INTEGRATION / "translations" / "en.json")
    dutch = _json(INTEGRATION / "translations" / "nl.json")
    assert english == strings
    assert _keys(dutch) == _keys(strings)
    # Same placeholders in both languages.
    for key in _keys(strings):
        path = key.strip(".").split(".")
        en_text, nl_text = strings, dutch
        for part in path:
            en_text, nl_text = en_text[part], nl_text[part]
        assert set(re.findall(r"{\w+}", en_text)) == set(re.findall(r"{\w+}", nl_text)), key


def test_every_entity_and_state_is_translated() -> None:
    sensors = _json(INTEGRATION / "strings.json")["entity"]["sensor"]
    for description in (*SENSORS, API_REQUESTS):
        assert description.translation_key in sensors
        for option in getattr(description, "options", None) or []:
            assert option in sensors[description.translation_key]["state"]
    assert set(sensors["extension_status"]["state"]) == {status.value for status in ExtensionStatus}
    icons = _json(INTEGRATION / "icons.json")["entity"]["sensor"]
    assert set(icons) == set(sensors)
    switches = _json(INTEGRATION / "strings.json")["entity"]["switch"]
    assert {description.translation_key for description in SWITCHES} == set(switches)
    assert set(_json(INTEGRATION / "icons.json")["entity"]["switch"]) == set(switches)


def test_every_raised_translation_key_exists() -> None:
    exceptions = _json(INTEGRATION / "strings.json")["exceptions"]
    # Abort reasons are checked below.
    skipped = ("config_flow.py", "options_flow.py")
    sources = [path for path in INTEGRATION.rglob("*.py") if path.name not in skipped]
    source = "\n".join(path.read_text() for path in sources)
    used = set(re.findall(r'translation_key="(\w+)"', source))
    used |= set(re.findall(r'reason="(\w+)"', source))
    used |= set(re.findall(r'return "(\w+)", ', source))
    used |= {"not_extension_device", "not_number_device"}  # built from the target
    strings = _json(INTEGRATION / "strings.json")
    used -= set(strings["issues"])  # repair issues
    used -= {key for platform in strings["entity"].values() for key in platform}
    assert used <= set(exceptions), used - set(exceptions)
    options = (INTEGRATION / "options_flow.py").read_text()
    option_aborts = set(re.findall(r'reason="(\w+)"', options))
    assert option_aborts <= set(_json(INTEGRATION / "strings.json")["options"]["abort"])
    flow = (INTEGRATION / "config_flow.py").read_text()
    aborts = set(re.findall(r'reason="(\w+)"', flow)) | {"already_configured"}
    assert aborts <= set(_json(INTEGRATION / "strings.json")["config"]["abort"])


async def test_services_yaml_matches_registered_actions(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    registered = hass.services.async_services_for_domain(DOMAIN)
    assert set(described) == set(registered)
    strings = _json(INTEGRATION / "strings.json")["services"]
    icons = _json(INTEGRATION / "icons.json")["services"]
    for action, spec in described.items():
        schema_fields = {str(key) for key in registered[action].schema.schema}
        assert set(spec["fields"]) == schema_fields
        assert set(strings[action]["fields"]) == schema_fields
        assert action in icons


def test_api_package_is_home_assistant_free() -> None:
    for path in (INTEGRATION / "api").rglob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(from|import) homeassistant", source, re.MULTILINE), path
