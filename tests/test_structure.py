"""The integration's shape: a home per provider, one error table, one source of strings."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import subprocess
import sys

from custom_components.hosted_pbx.api.errors import ErrorReason
from custom_components.hosted_pbx.errors import FORM_ERRORS
from custom_components.hosted_pbx.providers import PROVIDERS

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "hosted_pbx"
STRINGS = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
GENERIC = ("config_flow.py", "webhook.py", "diagnostics.py", "coordinator.py", "entity.py")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.lstrip("."))
    return found


def test_generic_modules_import_no_provider() -> None:
    for name in GENERIC:
        provider_imports = {
            module
            for module in _imports(INTEGRATION / name)
            if any(module == f"api.{key}" or module.startswith(f"api.{key}.") for key in PROVIDERS)
        }
        assert provider_imports == set(), name


def test_every_error_reason_is_translated() -> None:
    exceptions = STRINGS["exceptions"]
    assert {reason.value for reason in ErrorReason} <= set(exceptions)
    assert set(FORM_ERRORS.values()) <= set(STRINGS["config"]["error"])


def test_every_provider_has_its_strings() -> None:
    steps = STRINGS["config"]["step"]
    assert set(steps["user"]["menu_options"]) == set(PROVIDERS)
    for key, spec in PROVIDERS.items():
        assert set(steps[key]["data"]) == {item.key for item in spec.fields}, key
        assert spec.auth_error in STRINGS["config"]["error"]
        for name in (*spec.reauth_fields, *spec.reconfigure_fields):
            assert name in steps["reauth_confirm"]["data"] or name in steps["reconfigure"]["data"]


def test_en_json_is_generated_from_strings() -> None:
    result = subprocess.run(  # noqa: S603 - a fixed command
        [sys.executable, str(ROOT / "scripts" / "translations.py"), "--check"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_secrets_of_every_spec_are_redacted() -> None:
    for spec in PROVIDERS.values():
        typed_secrets = {item.key for item in spec.fields if item.secret}
        assert typed_secrets <= spec.secret_keys
