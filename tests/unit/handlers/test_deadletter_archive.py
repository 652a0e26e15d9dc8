"""The dead-letter archive's one reader: what the handlers wrote reads back with its body, error and order."""

from __future__ import annotations

import json

from shared.handlers.deadletter_archive import archive_name, read_archived
from shared.topology import WORKFLOW_CONTAINER
from tests.fakes import FakeBlobStore


def _archive(blobs: FakeBlobStore, file_id: str, leaf: str, at: str, **record: object) -> None:
    entry = {"entity": "file-validated/adaptor", "message_id": leaf, "archived_at": at, **record}
    blobs.write(WORKFLOW_CONTAINER, archive_name(file_id, "file-validated", leaf), json.dumps(entry).encode())


def test_entries_read_oldest_first_with_their_file_error_and_original_id() -> None:
    blobs = FakeBlobStore()
    _archive(blobs, "f1", "f1:validated:replay-1", "2026-01-02T00:00:00Z", body="{}", body_encoding="utf-8")
    _archive(blobs, "f1", "f1:validated", "2026-01-01T00:00:00Z", body="AAE=", body_encoding="base64",
             dead_letter_reason="MaxDeliveryCountExceeded",
             last_error={"error_type": "InjectedFault", "error_message": "boom"})
    _archive(blobs, "f2", "f2:validated", "2026-01-03T00:00:00Z", body="x")
    found = read_archived(blobs, "f1")
    assert [a.message_id for a in found] == ["f1:validated", "f1:validated:replay-1"]
    assert {a.original_message_id for a in found} == {"f1:validated"}
    first = found[0]
    assert (first.file_id, first.reason) == ("f1", "MaxDeliveryCountExceeded")
    assert first.error == "InjectedFault: boom"
    assert first.body() == b"\x00\x01"
    assert found[1].body() == b"{}"
    assert [a.file_id for a in read_archived(blobs)] == ["f1", "f1", "f2"]
    assert read_archived(blobs, "f3") == []
