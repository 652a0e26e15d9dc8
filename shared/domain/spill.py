"""Grouping transactions without holding them in memory: chunked runs in a temporary file.

Transactions arrive in file order and are appended to their group's list; every `CHUNK` of them (all
groups together) each group's list is written as one marshal blob, and the file offset of each run
is remembered per group. Reading a group back then means reading its runs in order, which keeps file
order within the group. Memory is one chunk plus one (offset, length) pair per group per chunk,
whatever the file size. Appending to per-group lists needs no sort and no (group, row) pair per row.
"""

from __future__ import annotations

import marshal
import tempfile
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 20_000

Row = tuple[Any, ...]  # marshal-able values only (str, int, None)


class GroupSpill:
    """Append `(group, row)` pairs; once `close_writing()`, iterate any group's rows in arrival order."""

    def __init__(self, chunk: int = CHUNK) -> None:
        self._chunk = chunk
        self._pending = 0  # rows in the buffers, all groups together
        self._buffers: dict[int, list[Row]] = {}
        self._runs: dict[int, list[tuple[int, int]]] = {}
        # The file outlives this call (the document reads it later); close() or GC deletes it.
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115

    def add(self, group: int, row: Row) -> None:
        buffer = self._buffers.get(group)
        if buffer is None:
            buffer = self._buffers[group] = []
        buffer.append(row)
        self._pending += 1
        if self._pending >= self._chunk:
            self._flush()

    def close_writing(self) -> None:
        self._flush()

    def _flush(self) -> None:
        file = self._file
        file.seek(0, 2)
        for group, rows in self._buffers.items():
            blob = marshal.dumps(rows)
            self._runs.setdefault(group, []).append((file.tell(), len(blob)))
            file.write(blob)
        self._buffers = {}
        self._pending = 0

    def rows(self, group: int) -> Iterator[Row]:
        for offset, length in self._runs.get(group, []):
            self._file.seek(offset)  # every read seeks, so two iterators may interleave safely
            yield from marshal.loads(self._file.read(length))

    def close(self) -> None:
        self._file.close()
