"""Finding a failed file's original for the validator's compensation.

It may be in the workflow archive (the validator finished), still in `incoming/` (the validator kept
crashing: the poison path), in both (it crashed between archiving and deleting), or already in
`failed/` (a compensation retry). `incoming/` counts only if its ETag is the failed version; a newer
upload of the same name is a different file and must be left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contracts import FileFailedData
from shared.handlers.blobops import base_name
from shared.handlers.identity import normalise_etag
from shared.ports import BlobNotFound, BlobStore
from shared.streams import sha256_of
from shared.topology import FAILED_CONTAINER, INCOMING_CONTAINER, WORKFLOW_CONTAINER


@dataclass
class Original:
    source: tuple[str, str] | None = None
    sha256: str | None = None
    to_delete: list[tuple[str, str, str | None]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        where = f"{self.source[0]}/{self.source[1]}" if self.source else None
        return {"copied_from": where, "sha256": self.sha256}


def locate_original(blobs: BlobStore, data: FileFailedData) -> Original:
    found = Original()
    base = base_name(data.blob_name) or "original"
    archived = (WORKFLOW_CONTAINER, f"archive/{data.file_id}/{base}")
    if _hash_into(blobs, archived, found, required_etag=None):
        found.source = archived
        found.to_delete.append((*archived, None))
    incoming = (INCOMING_CONTAINER, data.blob_name)
    if data.blob_name and data.etag and _hash_into(blobs, incoming, found, required_etag=data.etag):
        found.source = found.source or incoming
        found.to_delete.append((*incoming, data.etag))
    if found.source is None:
        _hash_into(blobs, (FAILED_CONTAINER, f"{data.file_id}/{base}"), found, required_etag=None)
    return found


def _hash_into(blobs: BlobStore, where: tuple[str, str], found: Original, required_etag: str | None) -> bool:
    try:
        reader = blobs.open_reader(*where)
    except BlobNotFound:
        return False
    try:
        if required_etag is not None and normalise_etag(reader.etag) != normalise_etag(required_etag):
            return False
        digest, _ = sha256_of(reader.stream)
    finally:
        reader.stream.close()
    found.sha256 = found.sha256 or digest
    return True
