"""The terminal-state invariant (docs/architecture.md) as one reusable assertion over any BlobStore.

Works against the in-memory fake and against Azurite through `shared.adapters.azure_blob`, so unit
scenarios and end-to-end tests assert exactly the same thing: one terminal state, its evidence, and
nothing left behind.
"""

from __future__ import annotations

import json
from typing import Any

from shared.handlers.timeline import file_facts, read_events, read_terminal
from shared.ports import BlobStore
from shared.topology import (
    FAILED_CONTAINER,
    INCOMING_CONTAINER,
    OUTGOING_CONTAINER,
    REJECTED_CONTAINER,
    WORKFLOW_CONTAINER,
)


def assert_terminal_state(
    blobs: BlobStore, file_id: str, expected: str, *, blob_name: str | None = None
) -> dict[str, Any]:
    """Assert `file_id` ended `expected` with its evidence and no leftovers; return terminal.json."""
    terminal = read_terminal(blobs, file_id)
    assert terminal is not None, f"file {file_id} has no terminal state; timeline: {_events(blobs, file_id)}"
    assert terminal["state"] == expected, (
        f"file {file_id} ended {terminal['state']}, expected {expected}: {terminal}"
    )
    _, recorded_name = file_facts(read_events(blobs, file_id))
    name = blob_name or recorded_name
    facts = _Facts(blobs, file_id, name)
    if expected == "failed" and terminal.get("needs_attention"):
        # A compensation gave up: a person finishes the clean-up, so only the archive is guaranteed.
        assert facts.listed(WORKFLOW_CONTAINER, f"deadletter/{file_id}/"), "no dead-letter archive"
        return terminal
    if name:
        assert not blobs.exists(INCOMING_CONTAINER, name), f"incoming/{name} left behind for {file_id}"
    assert not facts.listed(WORKFLOW_CONTAINER, f"staging/{file_id}/"), f"staging left behind for {file_id}"
    CHECKS[expected](facts)
    return terminal


class _Facts:
    def __init__(self, blobs: BlobStore, file_id: str, blob_name: str) -> None:
        self.blobs, self.file_id, self.blob_name = blobs, file_id, blob_name
        self.base = blob_name.rsplit("/", 1)[-1] if blob_name else ""

    def listed(self, container: str, prefix: str) -> list[str]:
        return list(self.blobs.list_names(container, prefix))

    def outputs(self) -> list[str]:
        return [n for n in self.listed(OUTGOING_CONTAINER, "") if n.endswith(f"/{self.file_id}.xml")]

    def registry_entries(self) -> list[str]:
        owned = []
        for name in self.listed(WORKFLOW_CONTAINER, "registry/"):
            if json.loads(self.blobs.read(WORKFLOW_CONTAINER, name)).get("file_id") == self.file_id:
                owned.append(name)
        return owned

    def report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads(
            self.blobs.read(REJECTED_CONTAINER, f"{self.file_id}/report.json")
        )
        return report

    def original_in(self, container: str) -> None:
        names = self.listed(container, f"{self.file_id}/")
        wanted = f"{self.file_id}/{self.base}" if self.base else None
        assert (wanted in names) if wanted else len(names) >= 2, f"original not in {container}/: {names}"


def _delivered(f: _Facts) -> None:
    assert len(f.outputs()) == 1, f"expected one pain.001 in outgoing/, found {f.outputs()}"
    assert f.listed(WORKFLOW_CONTAINER, f"archive/{f.file_id}/"), "original not archived"
    assert f.registry_entries(), "no registry entry names the delivered file"
    for container in (REJECTED_CONTAINER, FAILED_CONTAINER):
        assert not f.listed(container, f"{f.file_id}/"), (
            f"{container}/{f.file_id}/ exists for a delivered file"
        )


def _rejected(f: _Facts) -> None:
    f.original_in(REJECTED_CONTAINER)
    report = f.report()
    assert report["state"] == "rejected" and report["errors"], f"bad rejection report: {report}"
    _nothing_downstream(f)
    assert not f.registry_entries(), "a rejected file holds a registry entry"


def _duplicate(f: _Facts) -> None:
    f.original_in(REJECTED_CONTAINER)
    report = f.report()
    assert report["state"] == "duplicate" and report.get("duplicate_of"), f"bad duplicate report: {report}"
    _nothing_downstream(f)


def _failed(f: _Facts) -> None:
    f.original_in(FAILED_CONTAINER)
    reason = json.loads(f.blobs.read(FAILED_CONTAINER, f"{f.file_id}/reason.json"))
    assert reason["state"] == "failed" and reason["reason"], f"bad reason.json: {reason}"
    assert f.listed(WORKFLOW_CONTAINER, f"deadletter/{f.file_id}/"), "no dead-letter archive entry"
    _nothing_downstream(f)
    assert not f.registry_entries(), "a failed file still holds its registry entry"
    assert not f.listed(WORKFLOW_CONTAINER, f"archive/{f.file_id}/"), "archive copy left behind"


def _nothing_downstream(f: _Facts) -> None:
    assert not f.outputs(), f"output exists for a file that was not delivered: {f.outputs()}"
    assert not f.listed(WORKFLOW_CONTAINER, f"staging/{f.file_id}/"), "staging left behind"


CHECKS = {"delivered": _delivered, "rejected": _rejected, "duplicate": _duplicate, "failed": _failed}


def _events(blobs: BlobStore, file_id: str) -> list[str]:
    return [str(e.get("event")) for e in read_events(blobs, file_id)]
