"""Fixtures for the devhost's tests: a real Azurite (skipped, with the reason, only when none can be found)
and the Service Bus emulator, each started once per session or module and stopped by its pid.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from azurite_launcher import Azurite, AzuriteNotFoundError, find_azurite, start_azurite
from devhost_fixtures import APPS
from servicebus_emulator.testing import EmulatorProcess


@pytest.fixture(scope="session")
def azurite_binary() -> Path:
    try:
        return find_azurite()
    except AzuriteNotFoundError as exc:
        pytest.skip(str(exc))
    except RuntimeError as exc:  # AZURITE_BIN set but wrong: the person who set it must fix it
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def azurite(azurite_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    process = start_azurite(azurite_binary, tmp_path_factory.mktemp("azurite"))
    yield process
    process.stop()


@pytest.fixture
def own_azurite(azurite_binary: Path, tmp_path: Path) -> Iterator[Azurite]:
    """An Azurite only this test uses, so no other test's host sees its blobs."""
    process = start_azurite(azurite_binary, tmp_path / "own-azurite")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The emulator with the fixture apps' entities, in memory; its log under the module's temp folder."""
    log = tmp_path_factory.mktemp("emulator") / "servicebus-emulator.log"
    config = APPS / "servicebus" / "servicebus-config.json"
    process = EmulatorProcess(config, log_path=log).start(timeout=30.0)
    yield process
    process.stop()
