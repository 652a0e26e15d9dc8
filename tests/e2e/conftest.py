"""One real local stack for the e2e session: Azurite, our emulator and the devhost running function_app.py.

Faults are injected only through the app's own PIPELINE_FAULTS setting, by blob name, so every scenario
chooses its fate by naming its file. Each test uses unique file names and contents.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient

from localdev.stack.stack import LocalStack, StackOptions
from localdev.stack.webhook_receiver import WebhookReceiver
from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.clock import clock_from_environment
from shared.handlers.identity import incoming_file_id
from shared.handlers.timeline import file_facts, read_events, read_terminal
from shared.settings import NOTIFIER_WEBHOOK_URL_SETTING, PIPELINE_TODAY_SETTING
from shared.topology import INCOMING_CONTAINER
from tests.samplefiles import execution_date_after

FAULTS = ("validator=*/boom-validator*;adaptor=*/boom-adaptor*;creator=*/boom-creator*;"
          "reporter=*/boom-reporter*")


def bank_today() -> date:
    """The bank's date for this session: `PIPELINE_TODAY` from the test run's environment when set (so
    `PIPELINE_TODAY=2029-02-08 pytest -m e2e` rehearses that day), else the bank's date at session start
    (the functions' own clock: time zone and cut-off). The stack is always started with it pinned, so the
    files the tests build and the app's verdicts agree even across midnight."""
    return clock_from_environment(os.environ).today()


class Pipeline:
    """The running stack seen from outside: upload through the SDK, then poll the timeline with a deadline."""

    def __init__(self, stack: LocalStack, today: date) -> None:
        self.stack = stack
        self.today = today
        self.execution_date = execution_date_after(today)
        self.service = BlobServiceClient.from_connection_string(stack.storage)
        self.store = AzureBlobStore(self.service)

    def upload(self, name: str, data: bytes) -> str:
        """Upload to incoming/<name>; returns the file id the validator will use."""
        result = self.service.get_blob_client(INCOMING_CONTAINER, name).upload_blob(data, overwrite=True)
        return incoming_file_id(name, str(result["etag"]))

    def wait_terminal(self, file_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            terminal = read_terminal(self.store, file_id)
            if terminal is not None and any(e["event"] == terminal["state"] for e in self.events(file_id)):
                self._wait_incoming_cleared(file_id, deadline)
                return terminal
            time.sleep(0.2)
        raise AssertionError(
            f"{file_id} reached no terminal state in {timeout}s; events: {self.names(file_id)}"
        )

    def _wait_incoming_cleared(self, file_id: str, deadline: float) -> None:
        """The validator deletes the incoming blob last (after announcing the ending): on a loaded machine
        that lands a moment after the terminal state, so the invariant checks wait for it, boundedly."""
        _, name = file_facts(read_events(self.store, file_id))
        while name and self.store.exists(INCOMING_CONTAINER, name) and time.monotonic() < deadline + 10:
            time.sleep(0.2)

    def wait_for_count(self, file_id: str, event: str, count: int, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.names(file_id).count(event)
            if seen >= count:
                return seen
            time.sleep(0.2)
        raise AssertionError(
            f"{file_id}: fewer than {count} {event} events in {timeout}s: {self.names(file_id)}"
        )

    def events(self, file_id: str) -> list[dict[str, Any]]:
        return read_events(self.store, file_id)

    def names(self, file_id: str) -> list[str]:
        return [str(e["event"]) for e in self.events(file_id)]

    def host_log(self) -> str:
        assert self.stack.host is not None
        return Path(self.stack.host.log_path).read_text(errors="replace")


@pytest.fixture(scope="session")
def today() -> date:
    return bank_today()


@pytest.fixture(scope="session")
def webhook() -> Iterator[WebhookReceiver]:
    """FileNotifier's receiver on loopback, for the whole session (the stack posts every ending to it)."""
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, today: date, webhook: WebhookReceiver
          ) -> Iterator[LocalStack]:  # fmt: skip
    options = StackOptions(
        data_dir=tmp_path_factory.mktemp("stack"),
        poll_interval=0.2,
        azurite_in_memory=True,
        extra_env={"PIPELINE_FAULTS": FAULTS, "REFERENCE_CACHE_SECONDS": "5",
                   PIPELINE_TODAY_SETTING: today.isoformat(), NOTIFIER_WEBHOOK_URL_SETTING: webhook.url},
    )
    local = LocalStack(options)
    try:
        local.start()
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def pipeline(stack: LocalStack, today: date) -> Pipeline:
    return Pipeline(stack, today)


@pytest.fixture
def tag() -> str:
    """A unique tag for names and payment ids, so no two tests ever share a file or its content."""
    return uuid.uuid4().hex[:10]
