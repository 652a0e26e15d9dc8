"""A file's journey for the HTTP status function and the `status` command: timeline plus terminal state."""

from __future__ import annotations

from typing import Any

from shared.handlers.identity import is_file_id
from shared.handlers.timeline import read_events, read_terminal
from shared.ports import BlobStore

__all__ = ["file_status", "is_file_id"]


def file_status(blobs: BlobStore, file_id: str) -> dict[str, Any] | None:
    """`{file_id, state, terminal, events, warnings}`, state `in_progress` until terminal; None if never
    seen. `warnings` are the validator's (what it changed in a file it accepted: a transliterated name, a
    shifted date), from the `validated` event, so a delivered file can say what was changed."""
    events = read_events(blobs, file_id)
    terminal = read_terminal(blobs, file_id)
    if not events and terminal is None:
        return None
    state = str(terminal["state"]) if terminal else "in_progress"
    warnings = [w for e in events if e.get("event") == "validated" for w in e.get("warnings") or []]
    return {"file_id": file_id, "state": state, "terminal": terminal, "events": events, "warnings": warnings}
