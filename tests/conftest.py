"""Shared fixtures: simulators on loopback and a Home Assistant with the integration."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/hosted_pbx in every test."""
