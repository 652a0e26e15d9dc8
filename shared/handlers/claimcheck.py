"""Claim-check: records travel inline when small, otherwise as gzip-compressed NDJSON in `workflow/`.

Records are kept in memory only while they could still travel inline; past that they stream into a
staged blob upload as they are produced (memory stays bounded for big files, and the upload overlaps
the work), which becomes visible only when committed, once the whole set is known. Readers verify size
and sha256 so a truncated or replaced staging blob is an error, never silently wrong payments.

The NDJSON is compressed (gzip, level 1) because it is written once and read once, by machines, and
is about eight times larger than its gzip: at a million payments each staged document is ~360 MB of
NDJSON and ~45 MB stored. Locally, Azurite spent ~40 s of CPU taking in and handing out all of a
million-row file's bytes on a 2-core machine (bench.steps), and the adaptor waited 4.4 s for it to accept
writes; in Azure it is bandwidth and blocks. Level 1 costs ~5 ms of CPU per MB of NDJSON; higher levels
shrink it little more and cost several times as much. The same records give the same stored bytes (the
gzip header carries no time or name), so a redelivery still stages the blob its first run staged.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from shared.contracts import BlobReference, InlineRecords
from shared.domain.ndjson import NdjsonError, ndjson_line, read_ndjson
from shared.ports import BlobNotFound, BlobStore, BlobWriter
from shared.streams import GZIP_WBITS, GzipError, HashTally, gunzip
from shared.topology import WORKFLOW_CONTAINER

# Room left for the envelope and data fields around the records in the same message.
ENVELOPE_ALLOWANCE = 8 * 1024
# Lines are gathered up to this many bytes before they are hashed and written: one write and one hash
# update per 256 KiB instead of per ~250-byte record.
SPOOL_BUFFER = 256 * 1024
GZIP_LEVEL = 1
# The ending of every name a spool writes to: the blob's format is the spool's, so callers name only the
# document (`staging/<file id>/validated`), never how it is stored.
SPOOLED_SUFFIX = ".ndjson.gz"


class ClaimCheckError(RuntimeError):
    """A staged payload is missing, truncated or altered."""


def staging_prefix(file_id: str) -> str:
    return f"staging/{file_id}/"


class RecordSpool:
    """Collects records as NDJSON lines for `workflow/<name>`: in memory while they could still travel
    inline, then straight into a staged upload (`BlobStore.open_writer`) that runs while the records are
    still being produced. `to_payload()` returns them inline, or commits the blob; a spool closed
    without it (a rejected file, a failure) leaves no blob."""

    def __init__(self, blobs: BlobStore, name: str, threshold: int) -> None:
        self._blobs, self._name = blobs, name
        self._inline_limit = threshold - ENVELOPE_ALLOWANCE
        self._sha = hashlib.sha256()  # of the stored (compressed) bytes
        self._deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WBITS)
        self._pending: list[bytes] = []
        self._flushed = 0
        self._stored = 0  # compressed bytes written so far
        self._writer: BlobWriter | None = None
        self.size = 0  # of all lines added, written or still pending
        self.count = 0

    def add(self, record: dict[str, Any]) -> None:
        line = ndjson_line(record)
        self._pending.append(line)
        self.size += len(line)
        self.count += 1
        if self.size > self._inline_limit and self.size - self._flushed >= SPOOL_BUFFER:
            self._flush()

    def _flush(self, *, last: bool = False) -> None:
        block = self._deflate.compress(b"".join(self._pending))
        if last:
            block += self._deflate.flush()
        self._pending.clear()
        self._flushed = self.size
        if self._writer is None:
            self._writer = self._blobs.open_writer(WORKFLOW_CONTAINER, self._name)
        if block:  # deflate keeps small inputs back until it has enough to emit
            self._sha.update(block)
            self._stored += len(block)
            self._writer.write(block)

    def to_payload(self) -> InlineRecords | BlobReference:
        """Inline if the records fit under the threshold with the envelope, else the committed blob."""
        if self.size <= self._inline_limit:
            return InlineRecords(records=list(read_ndjson(io.BytesIO(b"".join(self._pending)))))
        self._flush(last=True)
        assert self._writer is not None  # opened by the flush
        self._writer.commit()
        return BlobReference(container=WORKFLOW_CONTAINER, name=self._name, size=self._stored,
                             sha256=self._sha.hexdigest(), encoding="gzip")  # fmt: skip

    def close(self) -> None:
        if self._writer is not None:
            self._writer.abort()  # nothing if committed

    def __enter__(self) -> RecordSpool:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def iter_records(blobs: BlobStore, payload: InlineRecords | BlobReference) -> Iterator[dict[str, Any]]:
    """Yield the records lazily; for a blob, check size and sha256 (of the stored bytes) once the stream
    is consumed, and gunzip it first if it is compressed (blobs of earlier versions are plain NDJSON)."""
    if isinstance(payload, InlineRecords):
        yield from payload.records
        return
    where = f"{payload.container}/{payload.name}"
    try:
        reader = blobs.open_reader(payload.container, payload.name)
    except BlobNotFound:
        raise ClaimCheckError(f"claim-check blob {where} not found (deleted by a compensation?)") from None
    tally = HashTally(reader.stream)
    try:
        yield from read_ndjson(gunzip(tally.reader) if payload.encoding == "gzip" else tally.reader)
    except (NdjsonError, GzipError) as exc:
        raise ClaimCheckError(f"claim-check blob {where} is corrupt: {exc}") from None
    finally:
        reader.stream.close()
    if tally.size != payload.size or tally.hexdigest != payload.sha256:
        raise ClaimCheckError(
            f"claim-check blob {where} does not match its reference "
            f"(size {tally.size} vs {payload.size}, sha256 {tally.hexdigest[:12]} vs {payload.sha256[:12]})"
        )
