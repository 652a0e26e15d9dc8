"""The reference table from `reference/reference-table.json`, cached briefly per process.

Operators edit the table in place; a short cache keeps a burst of files from re-reading it each time
while an edit still takes effect within the cache period.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from shared.domain.reference import ReferenceTable, ReferenceTableError, parse_reference_table
from shared.ports import BlobNotFound, BlobStore, Clock
from shared.topology import REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB


class ReferenceTableUnavailable(RuntimeError):  # noqa: N818 (names agreed in docs/architecture.md)
    """The table is missing or invalid; raised so the trigger retries until an operator fixes it."""


class CachedReferenceTable:
    """`load()` re-reads the blob at most every `ttl_seconds`."""

    def __init__(self, blobs: BlobStore, clock: Clock, ttl_seconds: float = 60.0) -> None:
        self._blobs = blobs
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._lock = threading.Lock()
        self._cached: tuple[datetime, ReferenceTable] | None = None

    def load(self) -> ReferenceTable:
        with self._lock:
            now = self._clock.now()
            if self._cached is not None and now - self._cached[0] < self._ttl:
                return self._cached[1]
            table = read_reference_table(self._blobs)
            self._cached = (now, table)
            return table


def read_reference_table(blobs: BlobStore) -> ReferenceTable:
    """Read and parse the table; raise `ReferenceTableUnavailable` saying what an operator must do."""
    where = f"{REFERENCE_CONTAINER}/{REFERENCE_TABLE_BLOB}"
    try:
        raw = blobs.read(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB)
    except BlobNotFound:
        raise ReferenceTableUnavailable(
            f"reference table {where} not found: upload one (default copy: samples/reference-table.json)"
        ) from None
    try:
        return parse_reference_table(raw)
    except ReferenceTableError as exc:
        raise ReferenceTableUnavailable(f"reference table {where} is invalid: {exc}") from None
