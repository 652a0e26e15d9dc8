"""Small binary-stream adapters: a hashing pass-through reader, a reader over an iterator of chunks, a
read-ahead that fetches the next chunk while the current one is used, pieces gathered into blocks, and a
gzip reader with bounded memory.

The readers are `io.RawIOBase` wrapped in `io.BufferedReader`, so callers (csv via TextIOWrapper, lxml,
the storage SDK) get a real `BinaryIO` and memory stays at a chunk or two whatever the blob size.
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import queue
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO, cast

CHUNK = 1024 * 1024
GZIP_WBITS = 31  # zlib's window bits for the gzip format (header and CRC-32 trailer), not raw deflate


class _HashingRaw(io.RawIOBase):
    def __init__(self, inner: BinaryIO, digest: HashTally) -> None:
        self._inner = inner
        self._tally = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._tally.update(data)
        return size


class HashTally:
    """sha256 and byte count of everything read through `reader`, and optionally a copy of it in
    `copy_to` (so one read of a blob can both be checked and stored elsewhere, byte for byte)."""

    def __init__(self, inner: BinaryIO, copy_to: BinaryIO | None = None) -> None:
        self._sha = hashlib.sha256()
        self._copy = copy_to
        self.size = 0
        self.reader = cast(BinaryIO, io.BufferedReader(_HashingRaw(inner, self), buffer_size=CHUNK))

    def update(self, data: bytes) -> None:
        self._sha.update(data)
        self.size += len(data)
        if self._copy is not None:
            self._copy.write(data)

    def drain(self) -> None:
        """Read to the end so the digest covers the whole stream even if the consumer stopped early."""
        while self.reader.read(CHUNK):
            pass

    @property
    def hexdigest(self) -> str:
        return self._sha.hexdigest()


class _ChunkRaw(io.RawIOBase):
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        # A generator of chunks (a read-ahead's among them) is closed with the stream, so it stops.
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        super().close()


def stream_from_chunks(chunks: Iterable[bytes]) -> BinaryIO:
    """A forward-only `BinaryIO` over chunks (e.g. the storage SDK's `download_blob().chunks()`)."""
    return cast(BinaryIO, io.BufferedReader(_ChunkRaw(chunks), buffer_size=CHUNK))


class _Failed:
    def __init__(self, error: Exception) -> None:
        self.error = error


_END = object()


def read_ahead(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """`chunks` in order, each next one fetched by a background thread while the caller works on the
    current one (the download overlaps the work); an error is raised here, where it would have been.
    Nothing starts before the first chunk is asked for; closing the generator stops the thread after the
    fetch in progress, so a stream closed early holds no more than two chunks meanwhile."""
    pending: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for chunk in chunks:
                if not offer(chunk):
                    return
            offer(_END)
        except Exception as exc:  # handed to the reader, raised in its thread
            offer(_Failed(exc))

    threading.Thread(target=contextvars.copy_context().run, args=(fetch,), daemon=True,
                     name="read-ahead").start()  # fmt: skip
    try:
        while (item := pending.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield cast(bytes, item)
    finally:
        stop.set()


class Blocks:
    """Written pieces gathered into blocks of at least `size` bytes, so a consumer that costs per call (a
    parser's feed, a pipe frame) is called once per block, not once per piece."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._pending: list[bytes] = []
        self._count = 0

    def add(self, data: bytes) -> bytes | None:
        """Take a piece; the block gathered so far once it reached `size`, else None."""
        self._pending.append(data)
        self._count += len(data)
        return self.rest() if self._count >= self._size else None

    def rest(self) -> bytes:
        """What is gathered (possibly nothing), taken out."""
        block = b"".join(self._pending)
        self._pending.clear()
        self._count = 0
        return block


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """Digest and size of a whole stream, read in chunks."""
    tally = HashTally(stream)
    tally.drain()
    return tally.hexdigest, tally.size


class GzipError(ValueError):
    """A gzip stream is corrupt, truncated, or followed by other bytes."""


def gunzip(stream: BinaryIO) -> BinaryIO:
    """A forward-only `BinaryIO` of the decompressed bytes of one gzip member read from `stream`.

    Each step inflates at most CHUNK bytes, so memory stays bounded whatever the ratio (a small corrupt
    or hostile blob cannot expand in memory all at once). Raises `GzipError` while reading when the data
    is not gzip, fails its CRC, ends early, or has bytes after its end.

    Not `gzip.GzipFile`: it accepts trailing zero bytes, and iterating its lines goes through a Python
    `readline` per line (0.12 s against 0.05 s for 300,000 NDJSON lines); this reader's lines come from
    `io.BufferedReader` in C."""
    return stream_from_chunks(_inflate(stream))


def _inflate(stream: BinaryIO) -> Iterator[bytes]:
    inflater = zlib.decompressobj(GZIP_WBITS)
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail or stream.read(CHUNK)
            if not data:  # the input is used up: what zlib still holds (at most its window), then the end
                if rest := inflater.flush():
                    yield rest
                if not inflater.eof:
                    raise GzipError("the gzip stream ends before its end marker (truncated)")
                break
            if piece := inflater.decompress(data, CHUNK):
                yield piece
    except zlib.error as exc:
        raise GzipError(f"not a valid gzip stream: {exc}") from None
    if inflater.unused_data or stream.read(1):
        raise GzipError("bytes follow the end of the gzip stream")
