"""What the devhost's tests share besides pytest fixtures: the fixture apps, starting the devhost on one of
them against an Azurite, and a watcher for the JSON reports the fixture functions send to a Storage queue.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient
from azurite_launcher import Azurite
from functions_devhost.testing import DevhostProcess

APPS = Path(__file__).resolve().parent / "apps"


def copy_app(name: str, into: Path) -> Path:
    """A fixture app copied to `into`, so a run's local.settings.json never lands in the source tree."""
    target = into / name
    shutil.copytree(APPS / name, target)
    return target


def start_devhost(
    app_dir: Path, azurite: Azurite, log_dir: Path, *, workers: int | None = None, **env: str
) -> DevhostProcess:
    """The devhost on `app_dir`, started, its storage on `azurite`, `env` added to its environment."""
    settings = {
        "AzureWebJobsStorage": azurite.connection_string,
        "FixtureStorage": azurite.connection_string,
        "AzureFunctionsWebHost__hostid": "fixturehost",
        **env,
    }
    process = DevhostProcess(
        app_dir, {**os.environ, **settings}, log_dir / "devhost.log", poll_interval=0.2, workers=workers
    )
    return process.start()


class QueueWatcher:
    """Collects the JSON reports fixture functions send to a queue, and waits for one that matches."""

    def __init__(self, connection_string: str, queue: str) -> None:
        self.client = QueueClient.from_connection_string(connection_string, queue)
        with contextlib.suppress(ResourceExistsError):
            self.client.create_queue()
        self.seen: list[dict[str, Any]] = []

    def drain(self) -> None:
        for message in self.client.receive_messages(messages_per_page=32):
            self.seen.append(json.loads(base64.b64decode(message.content)))
            self.client.delete_message(message)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.drain()
            for report in self.seen:
                if predicate(report):
                    return report
            time.sleep(0.1)
        raise AssertionError(f"no matching report within {timeout}s; seen: {self.seen}")
