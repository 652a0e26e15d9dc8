"""The devhost's timer trigger against a real Azurite: runOnStartup, the schedule, the monitor's status blob,
and a past-due run after a restart that missed an occurrence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from azurite_launcher import Azurite
from devhost_fixtures import QueueWatcher, copy_app, start_devhost

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STATUS = "timers/fixturehost/Host.Functions.Tick/status"


def test_timer_runs_on_startup_on_schedule_and_past_due_after_a_missed_occurrence(
    azurite: Azurite, tmp_path: Path
) -> None:
    seen = QueueWatcher(azurite.connection_string, "fx-timer")
    app = copy_app("timer", tmp_path)
    host = start_devhost(app, azurite, tmp_path)
    try:
        first = seen.wait_for(lambda r: r["fn"] == "Tick")
        assert first["past_due"] is False and not first["status"]  # runOnStartup, no status yet
        seen.wait_for(lambda r: bool(r["status"]))  # a scheduled run after the first was recorded
    finally:
        host.stop()
    hosts = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        "azure-webjobs-hosts")
    status = json.loads(hosts.get_blob_client(STATUS).download_blob().readall())
    assert set(status) == {"Last", "Next", "LastUpdated"}

    # A host that was down when an occurrence was due runs it at once, past due.
    status["Next"] = "2026-01-01T00:00:00Z"
    hosts.get_blob_client(STATUS).upload_blob(json.dumps(status), overwrite=True)
    seen.seen.clear()
    seen.drain()
    seen.seen.clear()
    host = start_devhost(app, azurite, tmp_path)
    try:
        late = seen.wait_for(lambda r: r["fn"] == "Tick")
        assert late["past_due"] is True and late["status"]["Next"] == "2026-01-01T00:00:00Z"
    finally:
        host.stop()
