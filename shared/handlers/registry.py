"""The duplicate-file registry: `workflow/registry/<sender>/<content sha256>.json` names the owning file.

Claiming is create-if-absent, so two copies racing cannot both win, and a redelivery of the owner finds
its own name and carries on. Releasing deletes only an entry naming this file, with the ETag read, so a
compensation can never free a claim that another file made after it.
"""

from __future__ import annotations

import json

from shared.handlers.timeline import stamp
from shared.ports import BlobAlreadyExists, BlobChanged, BlobNotFound, BlobStore, Clock
from shared.topology import WORKFLOW_CONTAINER


def registry_name(sender: str, content_sha256: str) -> str:
    return f"registry/{sender}/{content_sha256}.json"


def claim(
    blobs: BlobStore, clock: Clock, *, sender: str, content_sha256: str, file_id: str, blob_name: str
) -> str | None:
    """Claim the content for `file_id`; return None if it is ours, else the file id that owns it."""
    name = registry_name(sender, content_sha256)
    entry = {
        "file_id": file_id,
        "sender": sender,
        "blob_name": blob_name,
        "content_sha256": content_sha256,
        "claimed_at": stamp(clock.now()),
    }
    try:
        blobs.write(WORKFLOW_CONTAINER, name, json.dumps(entry).encode(), overwrite=False)
        return None
    except BlobAlreadyExists:
        pass
    try:
        owner = str(json.loads(blobs.read(WORKFLOW_CONTAINER, name)).get("file_id", ""))
    except BlobNotFound:
        # Released between our create and our read: retry the claim once more via the trigger's retry.
        raise RuntimeError(f"registry entry {name} vanished while claiming it; retrying") from None
    return None if owner == file_id else owner


def release(blobs: BlobStore, *, sender: str, content_sha256: str, file_id: str) -> bool:
    """Delete the entry if it names `file_id`; True if something was released."""
    name = registry_name(sender, content_sha256)
    try:
        current = blobs.read_with_etag(WORKFLOW_CONTAINER, name)
    except BlobNotFound:
        return False
    if json.loads(current.data).get("file_id") != file_id:
        return False
    try:
        return blobs.delete(WORKFLOW_CONTAINER, name, if_match=current.etag)
    except BlobChanged:
        return False  # rewritten by another file since we read it: that claim is not ours to free
