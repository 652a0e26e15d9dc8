"""`BlobWriter` over a block blob: blocks are staged in a background thread while the caller produces the
rest, and the blob changes only when the block list is committed.

Staged (uncommitted) blocks are invisible: the blob keeps its previous version, or does not exist, until
`Put Block List`; blocks never committed are discarded by the service (after a week, or as soon as
another writer commits the same blob). So a big output costs its upload time once, overlapped with the
computation, instead of after it. A block's id is its position and the sha256 of its bytes, so an id
names exactly one content: two writers of one blob (a redelivery racing its original) can never commit a
mix of their bytes, and when they write the same bytes (our outputs are deterministic) the second commit
finds the first one's blocks and succeeds; differing bytes make it fail (the service discards the other
writer's uncommitted blocks) and its step is retried. A blob that fits one block is one Put Blob.
"""

from __future__ import annotations

import contextvars
import hashlib
import queue
import threading
from typing import Any

from azure.storage.blob import BlobBlock

# Blocks waiting for the uploader: with the one being staged and the one being filled, memory stays at
# about four blocks whatever the blob's size.
QUEUED_BLOCKS = 2


class StagedBlobWriter:
    """Write pieces with `write()`; `commit()` or `abort()` exactly once at the end (`abort()` after
    `commit()` does nothing)."""

    def __init__(self, blob: Any, block_size: int) -> None:
        self._blob = blob  # an azure.storage.blob.BlobClient
        self._block_size = block_size
        self._buffer = bytearray()
        self._ids: list[str] = []
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_BLOCKS)
        self._error: Exception | None = None
        self._worker: threading.Thread | None = None
        self._closed = False

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= self._block_size:
            block = bytes(self._buffer[: self._block_size])
            del self._buffer[: self._block_size]
            self._stage(block)

    def commit(self) -> str:
        if self._closed:
            raise RuntimeError("this blob writer was already committed or aborted")
        if self._worker is None:  # it all fits one request
            self._closed = True
            return str(self._blob.upload_blob(bytes(self._buffer), overwrite=True)["etag"])
        if self._buffer:
            self._stage(bytes(self._buffer))
            self._buffer.clear()
        self._stop()
        if self._error is not None:
            raise self._error
        result = self._blob.commit_block_list([BlobBlock(block_id=block_id) for block_id in self._ids])
        return str(result["etag"])

    def abort(self) -> None:
        self._buffer.clear()
        self._stop()

    def _stage(self, block: bytes) -> None:
        if self._worker is None:
            # The caller's context (its trace span) goes with the uploads.
            context = contextvars.copy_context()
            self._worker = threading.Thread(target=context.run, args=(self._upload,), daemon=True,
                                            name="stage-blocks")  # fmt: skip
            self._worker.start()
        self._queue.put(block)  # waits while QUEUED_BLOCKS are pending: back-pressure

    def _upload(self) -> None:
        """Stage each queued block in order (the ids too, so `commit()` reads them after the join);
        after an error keep taking blocks, so the producer never waits on a dead uploader, but send
        none, and leave the error for `commit()`."""
        while (block := self._queue.get()) is not None:
            # Equal lengths, as the service requires: 6 digits, a dash, 32 hex (well under its 64 bytes).
            block_id = f"{len(self._ids):06d}-{hashlib.sha256(block).hexdigest()[:32]}"
            self._ids.append(block_id)
            if self._error is None:
                try:
                    self._blob.stage_block(block_id, block, length=len(block))
                except Exception as exc:  # reported by commit(); abort() just discards it
                    self._error = exc

    def _stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join()
