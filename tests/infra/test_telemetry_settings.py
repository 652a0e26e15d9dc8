"""What switches OpenTelemetry on in Azure: host.json's telemetryMode, the worker's setting, the distro
pinned in requirements.txt, and the Application Insights connection the app's code keys on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bicep_checks import REPO_ROOT

pytestmark = pytest.mark.infra


def test_the_host_exports_opentelemetry() -> None:
    assert json.loads((REPO_ROOT / "host.json").read_text())["telemetryMode"] == "OpenTelemetry"


def test_the_app_settings_switch_the_distro_on(app_settings: dict[str, Any]) -> None:
    from shared.telemetry import CONNECTION_STRING_SETTING

    assert CONNECTION_STRING_SETTING in app_settings
    assert app_settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"
    assert "Authorization=AAD" in str(app_settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"])


def test_the_distro_is_deployed() -> None:
    pins = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("azure-monitor-opentelemetry==") for line in pins)
