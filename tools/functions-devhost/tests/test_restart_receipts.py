"""Blob receipts survive a restart: a blob processed before the restart is not processed again after it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from azurite_launcher import Azurite
from devhost_fixtures import QueueWatcher, copy_app, start_devhost

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_restart_does_not_reprocess_completed_blobs(own_azurite: Azurite, tmp_path: Path) -> None:
    azurite = own_azurite  # its own, so no other test's host sees these blobs
    app = copy_app("basic", tmp_path)
    container = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        "fx-in"
    )
    container.create_container()
    seen = QueueWatcher(azurite.connection_string, "fx-seen")
    # Names sort before/after, so a wrongly re-run "before" would be queued ahead of "after".
    before, after = f"acme/a-before-{uuid.uuid4().hex}.csv", f"acme/b-after-{uuid.uuid4().hex}.csv"
    with start_devhost(app, azurite, tmp_path):
        container.get_blob_client(before).upload_blob(b"1")
        seen.wait_for(lambda r: r.get("name") == f"fx-in/{before}")
    with start_devhost(app, azurite, tmp_path / "second") as host:
        container.get_blob_client(after).upload_blob(b"2")
        seen.wait_for(lambda r: r.get("name") == f"fx-in/{after}")
    assert f"[file=fx-in/{before}]" not in Path(host.log_path).read_text()
    assert [r["name"] for r in seen.seen if r.get("fn") == "BlobEcho"] == [
        f"fx-in/{before}",
        f"fx-in/{after}",
    ]
