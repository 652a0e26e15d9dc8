"""Grouping transactions without holding them in memory: chunked runs in a temporary file.

Transactions arrive in file order. Every `CHUNK` of them is sorted (stably) by group and written as one
marshal blob per group, and the file offset of each run is remembered per group. Reading a group back
then means reading its runs in order, which keeps file order within the group. Memory is one chunk
plus one (offset, length) pair per group per chunk, whatever the file size.
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
        self._buffer: list[tuple[int, Row]] = []
        self._runs: dict[int, list[tuple[int, int]]] = {}
        # The file outlives this call (the document reads it later); close() or GC deletes it.
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115

    def add(self, group: int, row: Row) -> None:
        self._buffer.append((group, row))
        if len(self._buffer) >= self._chunk:
            self._flush()

    def close_writing(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        self._buffer.sort(key=lambda item: item[0])  # stable: keeps file order inside a group
        file = self._file
        file.seek(0, 2)
        start = 0
        buffer = self._buffer
        while start < len(buffer):
            group = buffer[start][0]
            end = start
            while end < len(buffer) and buffer[end][0] == group:
                end += 1
            blob = marshal.dumps([row for _, row in buffer[start:end]])
            self._runs.setdefault(group, []).append((file.tell(), len(blob)))
            file.write(blob)
            start = end
        self._buffer = []

    def rows(self, group: int) -> Iterator[Row]:
        for offset, length in self._runs.get(group, []):
            self._file.seek(offset)  # every read seeks, so two iterators may interleave safely
            yield from marshal.loads(self._file.read(length))

    def close(self) -> None:
        self._file.close()
