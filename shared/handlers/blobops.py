"""Blob moves the handlers share: a streaming copy and deleting everything under a prefix."""

from __future__ import annotations

from shared.ports import BlobStore


def copy_blob(blobs: BlobStore, source: tuple[str, str], target: tuple[str, str]) -> str:
    """Stream `source` to `target` (overwriting, so a retry is harmless); return the source ETag."""
    reader = blobs.open_reader(*source)
    try:
        blobs.write(*target, reader.stream, overwrite=True)
    finally:
        reader.stream.close()
    return reader.etag


def delete_prefix(blobs: BlobStore, container: str, prefix: str) -> int:
    """Delete every blob under `prefix`; returns how many were deleted (0 on a repeat)."""
    return sum(1 for name in list(blobs.list_names(container, prefix)) if blobs.delete(container, name))


def base_name(blob_name: str) -> str:
    return blob_name.rsplit("/", 1)[-1]
