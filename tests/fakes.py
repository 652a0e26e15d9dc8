"""Hand-written fakes for the ports (no mocks): an in-memory BlobStore with ETags and conditional writes,
an in-memory payment index with atomic batches, a Publisher that records what was sent, and a clock that
moves only when told.

`tests/invariants.py` works over these and over the real Azure adapter alike.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO, cast

from shared.domain.claim_keys import block_key, claim_order, partition_key, sender_partition_prefix
from shared.handlers.faults import FaultPlan
from shared.handlers.identity import normalise_etag
from shared.handlers.reference_loader import CachedReferenceTable
from shared.ports import (
    BlobAlreadyExists,
    BlobChanged,
    BlobContent,
    BlobData,
    BlobNotFound,
    OutgoingMessage,
    PaymentClaim,
    StreamedBlob,
)
from shared.services import Services
from shared.topology import FILE_ENDED_TOPIC, REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_REFERENCE = ROOT / "samples" / "reference-table.json"


class StorageOutageError(ConnectionError):
    """What `FakeBlobStore.fail_writes` raises: a write that storage refused (after the SDK's retries)."""


class FakeBlobStore:
    """Blobs in a dict; ETags are `"0x<counter>"` like Azure's (quoted), compared after normalising.

    Two hooks stage the awkward moments of at-least-once delivery: `fail_writes["container/pattern"] = n`
    makes the next n matching writes raise `StorageOutageError` (a crash between two side effects), and
    `before_write` runs once before the first matching write (another handler interleaving at that point).
    """

    def __init__(self) -> None:
        self.blobs: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._etags = itertools.count(0x8D000000)
        self._lock = threading.Lock()
        self.fail_writes: dict[str, int] = {}
        # (container, name) -> new bytes (None: deleted) after the first read of the next reader opened
        self.replace_while_reading: dict[tuple[str, str], bytes | None] = {}
        self._interleave: list[tuple[str, Callable[[], object]]] = []
        self.writers: list[FakeBlobWriter] = []

    def before_write(self, pattern: str, action: Callable[[], object]) -> None:
        """Run `action` once, just before the first write whose `container/name` matches `pattern`."""
        self._interleave.append((pattern, action))

    def _hooks(self, container: str, name: str) -> None:
        where = f"{container}/{name}"
        for pattern, remaining in list(self.fail_writes.items()):
            if remaining > 0 and fnmatchcase(where, pattern):
                self.fail_writes[pattern] = remaining - 1
                raise StorageOutageError(f"fake storage refused the write of {where}")
        for index, (pattern, action) in enumerate(self._interleave):
            if fnmatchcase(where, pattern):
                del self._interleave[index]
                action()
                return

    def _get(self, container: str, name: str) -> tuple[bytes, str]:
        try:
            return self.blobs[(container, name)]
        except KeyError:
            raise BlobNotFound(f"{container}/{name}") from None

    def read(self, container: str, name: str) -> bytes:
        return self._get(container, name)[0]

    def read_with_etag(self, container: str, name: str) -> BlobContent:
        data, etag = self._get(container, name)
        return BlobContent(data, etag)

    def open_reader(self, container: str, name: str) -> StreamedBlob:
        data, etag = self._get(container, name)
        if (container, name) in self.replace_while_reading:
            replacement = self.replace_while_reading.pop((container, name))
            stream = io.BufferedReader(_ChangingStream(self, container, name, data, replacement))
            return StreamedBlob(cast(BinaryIO, stream), etag, len(data))
        return StreamedBlob(io.BytesIO(data), etag, len(data))

    def write(self, container: str, name: str, data: BlobData, *, overwrite: bool = True,
              if_match: str | None = None) -> str:
        self._hooks(container, name)
        content = _to_bytes(data)
        with self._lock:
            if not overwrite and (container, name) in self.blobs:
                raise BlobAlreadyExists(f"{container}/{name}")
            current = self.blobs.get((container, name))
            if if_match is not None and (
                    current is None or normalise_etag(if_match) != normalise_etag(current[1])):
                raise BlobChanged(f"{container}/{name}")
            etag = f'"0x{next(self._etags):X}"'
            self.blobs[(container, name)] = (content, etag)
            return etag

    def open_writer(self, container: str, name: str) -> FakeBlobWriter:
        writer = FakeBlobWriter(self, container, name)
        self.writers.append(writer)  # so a test can check that each was committed or aborted
        return writer

    def delete(self, container: str, name: str, *, if_match: str | None = None) -> bool:
        with self._lock:
            current = self.blobs.get((container, name))
            if current is None:
                return False
            if if_match is not None and normalise_etag(if_match) != normalise_etag(current[1]):
                raise BlobChanged(f"{container}/{name}")
            del self.blobs[(container, name)]
            return True

    def list_names(self, container: str, prefix: str = "") -> Iterator[str]:
        names = sorted(n for c, n in list(self.blobs) if c == container and n.startswith(prefix))
        return iter(names)

    def exists(self, container: str, name: str) -> bool:
        return (container, name) in self.blobs

    def etag(self, container: str, name: str) -> str:
        return self._get(container, name)[1]

    def put(self, container: str, name: str, data: bytes) -> str:
        """Test helper: an upload, as a person or the host would do it."""
        return self.write(container, name, data)


class FakeBlobWriter:
    """Collects the pieces; the blob is written (hooks and all) only at `commit()`, as Azure's staged
    blocks become the blob only when the block list is committed."""

    def __init__(self, store: FakeBlobStore, container: str, name: str) -> None:
        self.store, self.container, self.name = store, container, name
        self.pieces: list[bytes] = []
        self.state = "open"

    def write(self, data: bytes) -> None:
        assert self.state == "open", f"write after {self.state}"
        self.pieces.append(bytes(data))

    def commit(self) -> str:
        assert self.state == "open", f"commit after {self.state}"
        self.state = "committed"
        return self.store.write(self.container, self.name, b"".join(self.pieces))

    def abort(self) -> None:
        if self.state == "open":
            self.state = "aborted"


class _ChangingStream(io.RawIOBase):
    """A reader whose blob is replaced (or deleted) after its first piece, like a pinned SDK download:
    the next read raises `BlobChanged`."""

    def __init__(self, store: FakeBlobStore, container: str, name: str, data: bytes,
                 replacement: bytes | None) -> None:
        self._store, self._where, self._data, self._replacement = store, (container, name), data, replacement
        self._served = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._served:
            raise BlobChanged(f"{self._where[0]}/{self._where[1]} changed while it was read")
        self._served = True
        size = min(len(buffer), max(1, len(self._data) // 2))
        buffer[:size] = self._data[:size]
        if self._replacement is None:
            self._store.delete(*self._where)
        else:
            self._store.put(*self._where, self._replacement)
        return size


def _to_bytes(data: BlobData) -> bytes:
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if hasattr(data, "read"):
        return data.read()  # type: ignore[no-any-return]
    return b"".join(data)


class FakePaymentIndex:
    """Claims in a dict keyed like the Table adapter's (partition, row key); a batch commits atomically.

    `requests` counts calls as the Azure adapter sends them (one per batch, per range read, per release),
    so tests can state a file's cost. `before_claim(action)` runs `action` once just before the next batch
    commits (another file racing at that moment); `fail_claims = n` makes the next n batches raise after
    committing (a crash between claiming and recording).
    """

    MAX_BATCH = 100  # the most one Table transaction takes
    PARALLEL = 1  # one batch after another, so that the hooks stage each interleaving exactly

    def __init__(self) -> None:
        self.claims: dict[tuple[str, str], PaymentClaim] = {}
        self.requests = 0
        self.fail_claims = 0
        self._versions = itertools.count(1)
        self._lock = threading.RLock()
        self._interleave: list[Callable[[], object]] = []

    def before_claim(self, action: Callable[[], object]) -> None:
        self._interleave.append(action)

    def claim(self, sender: str, new: Sequence[PaymentClaim], takeover: Sequence[PaymentClaim]) -> bool:
        if self._interleave:
            self._interleave.pop(0)()
        self.requests += 1
        batch = [*new, *takeover]
        assert len({block_key(c.payment_id) for c in batch}) <= self.MAX_BATCH, "too many blocks"
        assert len({partition_key(sender, c.payment_id) for c in batch}) <= 1, "a batch spans partitions"
        with self._lock:
            if any(claim_order(sender, c.payment_id) in self.claims for c in new):
                return False
            for claim in takeover:
                current = self.claims.get(claim_order(sender, claim.payment_id))
                if current is None or current.version != claim.version:
                    return False
            for claim in batch:
                self.claims[claim_order(sender, claim.payment_id)] = PaymentClaim(
                    claim.payment_id, claim.file_id, claim.blob_name, claim.claimed_at,
                    f"v{next(self._versions)}")
        if self.fail_claims > 0:
            self.fail_claims -= 1
            raise StorageOutageError("fake table: the host died after a batch committed")
        return True

    def existing(self, sender: str, payment_ids: Sequence[str]) -> dict[str, PaymentClaim]:
        self.requests += len({partition_key(sender, pid) for pid in payment_ids})  # a range read each
        with self._lock:
            found = {pid: self.claims.get(claim_order(sender, pid)) for pid in payment_ids}
        return {pid: claim for pid, claim in found.items() if claim is not None}

    def release(self, sender: str, file_id: str) -> int:
        self.requests += 1
        prefix = sender_partition_prefix(sender)
        with self._lock:
            mine = [key for key, claim in self.claims.items()
                    if key[0].startswith(prefix) and claim.file_id == file_id]
            for key in mine:
                del self.claims[key]
        self.requests += -(-len(mine) // self.MAX_BATCH)
        return len(mine)

    def owned_by(self, file_id: str) -> list[str]:
        """Test helper: the payment ids `file_id` holds now."""
        return sorted(c.payment_id for c in self.claims.values() if c.file_id == file_id)


@dataclass
class SentMessage:
    entity: str
    message: OutgoingMessage


@dataclass
class FakePublisher:
    """Records every publish; `fail_next` makes the next N publishes raise, like a broker outage, and
    `unconfigured` makes every send (and `ready()`) raise, like a missing Service Bus setting."""

    sent: list[SentMessage] = field(default_factory=list)
    fail_next: int = 0
    unconfigured: Exception | None = None  # what a missing or malformed Service Bus setting raises

    def ready(self) -> None:
        if self.unconfigured is not None:
            raise self.unconfigured

    def publish(self, entity: str, message: OutgoingMessage) -> None:
        self.ready()
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ConnectionError(f"fake broker unavailable for {entity}")
        self.sent.append(SentMessage(entity, message))

    def pipeline_sent(self) -> list[SentMessage]:
        """Everything but the lifecycle announcements (`file-ended`), which every ending publishes."""
        return [s for s in self.sent if s.entity != FILE_ENDED_TOPIC]

    def to(self, entity: str) -> list[OutgoingMessage]:
        return [s.message for s in self.sent if s.entity == entity]

    def take(self, entity: str) -> OutgoingMessage:
        """Remove and return the oldest message sent to `entity` (a consumer receiving it)."""
        for index, sent in enumerate(self.sent):
            if sent.entity == entity:
                return self.sent.pop(index).message
        raise AssertionError(f"nothing was published to {entity}; sent: {[s.entity for s in self.sent]}")


FAKE_START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
# An execution date a week after the fake clock's day: inside every sample sender's window, by construction.
FAKE_EXECUTION_DATE = FAKE_START.date() + timedelta(days=7)


class FakeClock:
    """Starts at a fixed instant; `advance()` moves it; every `now()` ticks 1 ms so events stay ordered."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or FAKE_START

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=1)
        return self.current

    def today(self) -> date:
        return self.current.date()

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def make_services(
    reference: bytes | None = None, faults: str = "", threshold: int | None = None
) -> tuple[Services, FakeBlobStore, FakePublisher, FakeClock]:
    """Services over fakes, with the sample reference table uploaded like the local stack does."""
    blobs, publisher, clock = FakeBlobStore(), FakePublisher(), FakeClock()
    blobs.put(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB, reference or SAMPLE_REFERENCE.read_bytes())
    services = Services(
        blobs=blobs,
        publisher=publisher,
        clock=clock,
        reference=CachedReferenceTable(blobs, clock, ttl_seconds=0),
        payments=FakePaymentIndex(),
        faults=FaultPlan.parse(faults),
    )
    if threshold is not None:
        services.claim_check_threshold = threshold
    return services, blobs, publisher, clock


def stream_of(data: bytes) -> BinaryIO:
    return io.BytesIO(data)
