"""The duplicate-file registry: `workflow/registry/<sender>/<payments fingerprint>.json` names the owner.

The key is the fingerprint of the file's payments (`shared.domain.fingerprint`), not of its bytes, so
the same payments re-saved with other line endings, a BOM or in another row order are the same file.

Claiming is create-if-absent, so two copies racing cannot both win, and a redelivery of the owner finds
its own name and carries on. An entry whose owner ended `rejected` or `failed` (a crash before it was
released) is free again: it is deleted with the ETag read and claimed afresh. Releasing deletes only an
entry naming this file, with the ETag read, so a compensation can never free a claim that another file
made after it. Because the fingerprint cannot be recomputed without validating the file again (against
a reference table that may have changed), the validator writes it in the file's open marker before it
claims (`timeline.mark_open`: the one write that also puts the file on the reconciler's work list),
and the compensation releases through that.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from shared.domain.duplicate_window import ENDED_WITHOUT_DELIVERY
from shared.handlers.timeline import mark_open, read_open_marker, read_terminal, stamp, timeline_prefix
from shared.ports import BlobAlreadyExists, BlobChanged, BlobNotFound, BlobStore, Clock
from shared.topology import WORKFLOW_CONTAINER


def registry_name(sender: str, fingerprint: str) -> str:
    return f"registry/{sender}/{fingerprint}.json"


def legacy_pointer_name(file_id: str) -> str:
    """Where versions before the open marker carried it wrote the pointer (read for files in flight)."""
    return f"{timeline_prefix(file_id)}registry.json"


def claim(blobs: BlobStore, clock: Clock, *, sender: str, fingerprint: str, file_id: str,
          blob_name: str) -> str | None:
    """Claim the payments for `file_id`; return None if they are ours, else the file id that owns them."""
    name = registry_name(sender, fingerprint)
    entry = {"file_id": file_id, "sender": sender, "blob_name": blob_name, "fingerprint": fingerprint,
             "claimed_at": stamp(clock.now())}
    mark_open(blobs, file_id, entry["claimed_at"], registry={"sender": sender, "fingerprint": fingerprint})
    for _ in range(3):  # a stale entry freed by us can be claimed by a racing copy first: look again
        try:
            blobs.write(WORKFLOW_CONTAINER, name, json.dumps(entry).encode(), overwrite=False)
            return None
        except BlobAlreadyExists:
            pass
        try:
            current = blobs.read_with_etag(WORKFLOW_CONTAINER, name)
        except BlobNotFound:
            continue  # released between our create and our read
        owner = str(json.loads(current.data).get("file_id", ""))
        if owner == file_id:
            return None
        if _holds_nothing(blobs, owner):
            with contextlib.suppress(BlobChanged):  # someone else freed or took it: look again
                blobs.delete(WORKFLOW_CONTAINER, name, if_match=current.etag)
            continue
        return owner
    raise RuntimeError(f"registry entry {name} keeps changing while it is claimed; retrying")


def _holds_nothing(blobs: BlobStore, owner: str) -> bool:
    terminal = read_terminal(blobs, owner) if owner else None
    return not owner or (terminal is not None and terminal.get("state") in ENDED_WITHOUT_DELIVERY)


def release(blobs: BlobStore, *, sender: str, fingerprint: str, file_id: str) -> bool:
    """Delete the entry if it names `file_id`; True if something was released."""
    name = registry_name(sender, fingerprint)
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


def release_for(blobs: BlobStore, file_id: str) -> bool:
    """Release whatever `file_id` claimed, found through `pointer_of`; False if it claimed nothing."""
    pointer = pointer_of(blobs, file_id)
    if pointer is None:
        return False  # the pointer is written before the claim: no pointer, no claim
    return release(blobs, sender=str(pointer["sender"]), fingerprint=str(pointer["fingerprint"]),
                   file_id=file_id)


def pointer_of(blobs: BlobStore, file_id: str) -> dict[str, str] | None:
    """The registry entry `file_id` claimed (`{sender, fingerprint}`), or None if it claimed none: named
    by its open marker (the compensation runs before the terminal state closes it), else kept in its
    terminal record by a give-up that ended it before its compensation ran (`kept_pointer`), else (a
    file in flight from an earlier version) in its own pointer blob."""
    marker = read_open_marker(blobs, file_id) or {}
    if "registry" in marker:
        return dict(marker["registry"])
    terminal = read_terminal(blobs, file_id)
    if terminal is not None and "registry" in terminal:
        return dict(terminal["registry"])
    try:
        return dict(json.loads(blobs.read(WORKFLOW_CONTAINER, legacy_pointer_name(file_id))))
    except BlobNotFound:
        return None


def kept_pointer(blobs: BlobStore, file_id: str) -> dict[str, Any]:
    """`{"registry": pointer}` for a terminal record that ends a file before its compensation ran (a
    give-up): recording the state closes the open marker, and a replayed compensation still releases."""
    pointer = pointer_of(blobs, file_id)
    return {"registry": pointer} if pointer is not None else {}
