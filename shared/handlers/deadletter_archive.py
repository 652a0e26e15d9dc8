"""The dead-letter archive, read in one place: `workflow/deadletter/<file id>/<entity>/<message id>.json`,
written by the dead-letter handlers (`deadletter.archive_dead_letter`) with the exact body, the broker's
reason and the last real error. `make dlq`, `python -m ops dlq` and replay all read it through here.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from shared.handlers.timeline import error_text
from shared.ports import BlobNotFound, BlobStore
from shared.topology import WORKFLOW_CONTAINER

ARCHIVE_PREFIX = "deadletter/"
_REPLAY_SUFFIX = re.compile(r"(:replay-\d+)+$")


def archive_name(file_id: str, entity: str, leaf: str) -> str:
    """The archive entry's blob name in the workflow container."""
    return f"{ARCHIVE_PREFIX}{file_id}/{entity}/{leaf}.json"


@dataclass(frozen=True)
class Archived:
    """One archived dead-lettered message; `path` is its blob name in the workflow container."""

    path: str
    record: dict[str, Any]

    @property
    def file_id(self) -> str:
        return self.path.removeprefix(ARCHIVE_PREFIX).split("/", 1)[0]

    @property
    def entity(self) -> str:
        return str(self.record.get("entity", ""))

    @property
    def message_id(self) -> str:
        return str(self.record.get("message_id") or "no-message-id")

    @property
    def original_message_id(self) -> str:
        """The id the pipeline gave the message, before any replay suffixed it."""
        return _REPLAY_SUFFIX.sub("", self.message_id)

    @property
    def reason(self) -> str:
        return str(self.record.get("dead_letter_reason") or "")

    @property
    def error(self) -> str:
        """`ErrorType: message` of the last real error recorded before the dead-lettering, else ""."""
        error = self.record.get("last_error") or {}
        return error_text(error) if error else ""

    @property
    def archived_at(self) -> str:
        return str(self.record.get("archived_at", ""))

    def body(self) -> bytes:
        body = str(self.record["body"])
        if self.record.get("body_encoding") == "base64":
            return base64.b64decode(body)
        return body.encode("utf-8")


def read_archived(blobs: BlobStore, file_id: str | None = None) -> list[Archived]:
    """Every archive entry (of one file, or of all), oldest first."""
    found = []
    prefix = f"{ARCHIVE_PREFIX}{file_id}/" if file_id else ARCHIVE_PREFIX
    for name in blobs.list_names(WORKFLOW_CONTAINER, prefix):
        try:
            found.append(Archived(name, json.loads(blobs.read(WORKFLOW_CONTAINER, name))))
        except BlobNotFound:
            continue  # listed, then removed by a compensation's clean-up
    return sorted(found, key=lambda archive: archive.archived_at)
