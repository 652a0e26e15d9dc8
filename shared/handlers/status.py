"""A file's journey for the HTTP status function and the `status` command: timeline plus terminal state."""

from __future__ import annotations

from typing import Any

from shared.handlers.identity import is_file_id
from shared.handlers.timeline import read_events, read_terminal
from shared.ports import BlobStore

__all__ = ["file_status", "is_file_id"]


def file_status(blobs: BlobStore, file_id: str) -> dict[str, Any] | None:
    """`{file_id, state, terminal, events}`, state `in_progress` until terminal (or `superseded`: the
    version was replaced or deleted before it could be read to its end); None if never seen."""
    events = read_events(blobs, file_id)
    terminal = read_terminal(blobs, file_id)
    if not events and terminal is None:
        return None
    if terminal:
        state = str(terminal["state"])
    else:
        state = "superseded" if events and events[-1].get("event") == "superseded" else "in_progress"
    return {"file_id": file_id, "state": state, "terminal": terminal, "events": events}
