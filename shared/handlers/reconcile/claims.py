"""The reconciler's own state in `workflow/reconciler/`: claims (create-if-absent), sightings, a cursor.

A claim is what makes a repair safe on several instances at once: whoever creates
`claims/<file id>/<act>.json` first does the act, the others skip it. Claims are never taken over; a
stalled file's next attempt is a new claim (`stalled-2`), which is also how attempts are counted.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from shared.handlers.timeline import stamp
from shared.ports import BlobAlreadyExists, BlobNotFound, BlobStore, Clock
from shared.topology import WORKFLOW_CONTAINER

ROOT = "reconciler/"


def claim(blobs: BlobStore, clock: Clock, name: str, **details: Any) -> bool:
    """Create `reconciler/<name>` if absent; True for the one caller that created it."""
    entry = {"claimed_at": stamp(clock.now()), **details}
    try:
        blobs.write(WORKFLOW_CONTAINER, f"{ROOT}{name}", json.dumps(entry, default=str).encode(),
                    overwrite=False)
    except BlobAlreadyExists:
        return False
    return True


def count(blobs: BlobStore, prefix: str) -> int:
    return sum(1 for _ in blobs.list_names(WORKFLOW_CONTAINER, f"{ROOT}{prefix}"))


def sighted_at(blobs: BlobStore, clock: Clock, file_id: str, blob_name: str) -> datetime:
    """When this blob version was first seen without a timeline (recorded now if this is the first time)."""
    name = f"sightings/{file_id}.json"
    if claim(blobs, clock, name, file_id=file_id, blob_name=blob_name):
        return clock.now()
    try:
        entry = json.loads(blobs.read(WORKFLOW_CONTAINER, f"{ROOT}{name}"))
        return datetime.fromisoformat(str(entry["claimed_at"]).replace("Z", "+00:00"))
    except (BlobNotFound, KeyError, ValueError):
        return clock.now()


def forget_sighting(blobs: BlobStore, file_id: str) -> None:
    blobs.delete(WORKFLOW_CONTAINER, f"{ROOT}sightings/{file_id}.json")


def read_cursor(blobs: BlobStore) -> str:
    try:
        return str(json.loads(blobs.read(WORKFLOW_CONTAINER, f"{ROOT}cursor.json")).get("after", ""))
    except (BlobNotFound, ValueError):
        return ""


def write_cursor(blobs: BlobStore, after: str) -> None:
    # Last writer wins: two instances at once only make the next run start a little earlier or later.
    blobs.write(WORKFLOW_CONTAINER, f"{ROOT}cursor.json", json.dumps({"after": after}).encode())
