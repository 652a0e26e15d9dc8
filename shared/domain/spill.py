"""Keeping a big file's rows out of memory: chunked runs in a temporary file, grouped or sorted.

`GroupSpill` (the adaptor's transactions): rows arrive in file order and are appended to their group's
list; every `CHUNK` of them (all groups together) each group's list is written as one marshal blob, and
the file offset of each run is remembered per group. Reading a group back then means reading its runs in
order, which keeps file order within the group. Memory is one chunk plus one (offset, length) pair per
group per chunk, whatever the file size. Appending to per-group lists needs no sort and no (group, row)
pair per row.

`SortedSpill` (the validator's payment ids, in claim order): every `RUN` items are sorted and written
as chunks of `CHUNK`; reading merges the runs (`heapq.merge`), one chunk of each in memory at a time.
Fewer items than a run never touch the disk.
"""

from __future__ import annotations

import heapq
import marshal
import tempfile
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 20_000
RUN = 100_000  # items sorted in memory at a time (SortedSpill)

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


class SortedSpill:
    """`add` comparable, marshal-able items (tuples of str and int); then iterate them once, sorted."""

    def __init__(self, run: int = RUN, chunk: int = CHUNK) -> None:
        self._run, self._chunk = run, chunk
        self._buffer: list[Row] = []
        self._runs: list[list[tuple[int, int]]] = []  # per sorted run: its chunks' (offset, length)
        self._file: IO[bytes] | None = None
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, item: Row) -> None:
        self._buffer.append(item)
        self._count += 1
        if len(self._buffer) >= self._run:
            self._flush()

    def _flush(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        buffer, self._buffer = self._buffer, []
        buffer.sort()
        file, chunks = self._file, []
        file.seek(0, 2)
        for start in range(0, len(buffer), self._chunk):
            blob = marshal.dumps(buffer[start:start + self._chunk])
            chunks.append((file.tell(), len(blob)))
            file.write(blob)
        self._runs.append(chunks)

    def __iter__(self) -> Iterator[Row]:
        if not self._runs:  # everything fitted one run: sorted in memory, no file
            self._buffer.sort()
            return iter(self._buffer)
        if self._buffer:
            self._flush()
        return heapq.merge(*map(self._read, self._runs))

    def _read(self, chunks: list[tuple[int, int]]) -> Iterator[Row]:
        assert self._file is not None
        for offset, length in chunks:
            self._file.seek(offset)  # every read seeks: the merge interleaves the runs
            yield from marshal.loads(self._file.read(length))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._buffer = []
