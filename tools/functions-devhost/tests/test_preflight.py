"""The devhost refuses to start, in one sentence, when the storage or emulator it needs is not running."""

from __future__ import annotations

import pytest
from functions_devhost.errors import DevhostError
from functions_devhost.preflight import check_service_bus, check_storage
from functions_devhost.settings import development_storage
from functions_devhost.testing import free_port

pytestmark = pytest.mark.integration


def test_missing_azurite_is_named_with_its_setting_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("PaymentsStorage", development_storage(port, port + 1))
    with pytest.raises(
        DevhostError, match=rf"Storage for 'PaymentsStorage' \(http://127.0.0.1:{port}/.*Is Azurite"
    ):
        check_storage("PaymentsStorage")


def test_missing_emulator_is_named_with_its_port(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv(
        "Bus",
        f"Endpoint=sb://localhost:{port};SharedAccessKeyName=x;SharedAccessKey=y;"
        "UseDevelopmentEmulator=true;",
    )
    with pytest.raises(DevhostError, match=f"emulator for 'Bus' \\(localhost:{port}\\) is not reachable"):
        check_service_bus("Bus")
