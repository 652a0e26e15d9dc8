"""A file's journey for the HTTP status function and the `status` command: timeline plus terminal state."""

from __future__ import annotations

import re
from typing import Any

from shared.handlers.timeline import read_events, read_terminal
from shared.ports import BlobStore

FILE_ID = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+\.[0-9a-f]{8}$")


def is_file_id(text: str) -> bool:
    return bool(FILE_ID.match(text))


def file_status(blobs: BlobStore, file_id: str) -> dict[str, Any] | None:
    """`{file_id, state, terminal, events}`, state `in_progress` until terminal; None if never seen."""
    events = read_events(blobs, file_id)
    terminal = read_terminal(blobs, file_id)
    if not events and terminal is None:
        return None
    state = str(terminal["state"]) if terminal else "in_progress"
    return {"file_id": file_id, "state": state, "terminal": terminal, "events": events}
