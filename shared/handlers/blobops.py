"""Blob moves the handlers share: a streaming copy, a staged write, a tee, deleting under a prefix."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import BinaryIO, cast

from shared.ports import BlobStore, BlobWriter


def copy_blob(blobs: BlobStore, source: tuple[str, str], target: tuple[str, str]) -> str:
    """Stream `source` to `target` (overwriting, so a retry is harmless); return the source ETag."""
    reader = blobs.open_reader(*source)
    try:
        blobs.write(*target, reader.stream, overwrite=True)
    finally:
        reader.stream.close()
    return reader.etag


@contextlib.contextmanager
def staged_write(blobs: BlobStore, container: str, name: str) -> Iterator[BlobWriter]:
    """`blobs.open_writer`, aborted on the way out unless the body committed it (then nothing happens)."""
    writer = blobs.open_writer(container, name)
    try:
        yield writer
    finally:
        writer.abort()


class _Tee:
    def __init__(self, first: BinaryIO, second: BlobWriter) -> None:
        self._first, self._second = first, second

    def write(self, data: bytes) -> int:
        self._first.write(data)
        self._second.write(data)
        return len(data)


def tee(first: BinaryIO, second: BlobWriter) -> BinaryIO:
    """A write-only stream (its one method is `write`) sending every piece to both."""
    return cast(BinaryIO, _Tee(first, second))


def delete_prefix(blobs: BlobStore, container: str, prefix: str) -> int:
    """Delete every blob under `prefix`; returns how many were deleted (0 on a repeat)."""
    return sum(1 for name in list(blobs.list_names(container, prefix)) if blobs.delete(container, name))


def base_name(blob_name: str) -> str:
    return blob_name.rsplit("/", 1)[-1]
