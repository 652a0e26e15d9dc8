"""The ports the handlers depend on: blob storage, the payment index, message publishing, the clock and
where the pain.001 check runs.

Handlers see only these Protocols. The Azure SDK implementations live in `shared/adapters/`; unit tests
use hand-written in-memory fakes (`tests/fakes.py`). Errors that a handler must tell apart (a blob
already exists, is missing, or changed under us) are plain exceptions defined here, so no handler ever
catches an SDK exception type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO, Protocol

BlobData = bytes | Iterable[bytes] | BinaryIO


class BlobStoreError(Exception):
    """Base class of the conditions a `BlobStore` reports in a storage-neutral way."""


class BlobAlreadyExists(BlobStoreError):  # noqa: N818 (names agreed in docs/architecture.md)
    """A create-if-absent write found the blob already there."""


class BlobNotFound(BlobStoreError):  # noqa: N818 (names agreed in docs/architecture.md)
    """The blob (or its container) does not exist."""


class BlobChanged(BlobStoreError):  # noqa: N818 (names agreed in docs/architecture.md)
    """A conditional operation's ETag no longer matches: someone else wrote the blob."""


@dataclass(frozen=True)
class StreamedBlob:
    """An open, forward-only reader over one version of a blob."""

    stream: BinaryIO
    etag: str
    size: int


@dataclass(frozen=True)
class BlobContent:
    """A blob's bytes with the ETag of the version read, for a later if-match delete."""

    data: bytes
    etag: str


class BlobWriter(Protocol):
    """One blob written piece by piece while its bytes are produced, and visible only once committed
    (Azure's staged blocks): until `commit()` nothing is readable, listed or replaced, so a writer that
    is aborted, or whose process dies, leaves no trace a reader could see."""

    def write(self, data: bytes) -> None:
        """Append `data` (it may be uploaded meanwhile, in the background)."""

    def commit(self) -> str:
        """Make the bytes written so far the blob's content (overwriting it) and return the new ETag;
        raise here any error the background uploads met."""

    def abort(self) -> None:
        """Discard what was written; the blob keeps whatever version it had. Harmless after `commit()`."""


class BlobStore(Protocol):
    """Blob storage addressed by (container, name); ETags are compared as opaque strings."""

    def read(self, container: str, name: str) -> bytes:
        """Whole blob; raise `BlobNotFound`."""

    def read_with_etag(self, container: str, name: str) -> BlobContent:
        """Whole blob and its ETag; raise `BlobNotFound`."""

    def open_reader(self, container: str, name: str) -> StreamedBlob:
        """A streaming reader that never holds the whole blob in memory; raise `BlobNotFound`. It reads
        one version only: its stream raises `BlobChanged` if the blob is replaced or deleted mid-read."""

    def write(self, container: str, name: str, data: BlobData, *, overwrite: bool = True,
              if_match: str | None = None) -> str:
        """Write and return the new ETag; with `overwrite=False` raise `BlobAlreadyExists` if present;
        with `if_match`, replace only that version (raise `BlobChanged` if it changed or is gone)."""

    def open_writer(self, container: str, name: str) -> BlobWriter:
        """A `BlobWriter` for a big blob whose bytes come out of a long computation: the upload
        overlaps the computation instead of following it. The caller must commit or abort it."""

    def delete(self, container: str, name: str, *, if_match: str | None = None) -> bool:
        """Delete; False if it was already gone; raise `BlobChanged` if `if_match` no longer matches."""

    def list_names(self, container: str, prefix: str = "") -> Iterator[str]:
        """Names in `container` starting with `prefix`, in lexicographic order."""

    def exists(self, container: str, name: str) -> bool:
        """Whether the blob exists now (for reporting only: never guard a write with it)."""

    def etag(self, container: str, name: str) -> str:
        """The current version's ETag without reading the blob (one HEAD); raise `BlobNotFound`."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One Service Bus message as our handlers build it; the adapter maps it 1:1 onto the SDK."""

    body: bytes
    message_id: str
    correlation_id: str
    subject: str
    application_properties: Mapping[str, str | int] = field(default_factory=dict)
    content_type: str = "application/json"


class Publisher(Protocol):
    """Sends messages to a queue or topic by name."""

    def publish(self, entity: str, message: OutgoingMessage) -> None:
        """Send one message; raise on failure so the caller's trigger retries."""

    def ready(self) -> None:
        """Raise `ConfigurationError` if no message could ever be sent (a setting is missing or
        malformed); cheap, never contacts the broker. Called before a step's first side effect."""


class Webhook(Protocol):
    """An HTTP endpoint someone gave us to be told about endings (the notifier's)."""

    def post_json(self, body: bytes, idempotency_key: str) -> None:
        """POST `body` as JSON; raise on anything but a 2xx answer, so the caller's trigger retries."""


class Clock(Protocol):
    """The time source; always timezone-aware UTC."""

    def now(self) -> datetime:
        """The current instant in UTC."""

    def today(self) -> date:
        """The bank's business date: the execution-date window and every calendar rule use it.
        The date of `now()` in the bank's time zone, the next business day once the cut-off time has
        passed (`BANK_TIME_ZONE`, `BANK_CUT_OFF`), unless pinned (`PIPELINE_TODAY`, for tests and
        rehearsals)."""


@dataclass(frozen=True, slots=True)
class PaymentClaim:
    """One payment id of a sender, claimed by a file; `version` is the store's ETag of the claim."""

    payment_id: str
    file_id: str
    blob_name: str
    claimed_at: datetime
    version: str = ""


class PaymentIndex(Protocol):
    """Which file claimed each (sender, payment id): the cross-file duplicate-payment check.

    Claims are written in batches of whole blocks of one partition, at most `MAX_BATCH` blocks each
    (`claim_keys`: ids that differ only in their last two characters share a block), each batch
    atomically. Keys, blocks and partitions come from `shared.domain.claim_keys`.
    """

    MAX_BATCH: int
    PARALLEL: int  # how many batches of one file may be in flight at once (1: one after another)

    def claim(self, sender: str, new: Sequence[PaymentClaim], takeover: Sequence[PaymentClaim]) -> bool:
        """Atomically create every `new` claim and replace every `takeover` claim whose stored version
        is still its `version` (all in one partition). False, with nothing written, if any of them was
        claimed or changed meanwhile."""

    def existing(self, sender: str, payment_ids: Sequence[str]) -> dict[str, PaymentClaim]:
        """The current claims on these ids (ids without a claim are absent)."""

    def release(self, sender: str, file_id: str) -> int:
        """Delete the claims still naming `file_id` (never one another file holds now); return how many
        were deleted. Idempotent."""


class SchemaCheckUnavailable(Exception):  # noqa: N818 (a verdict that could not be had, not a bug here)
    """The check could not give a verdict (its helper process died or answered nonsense): the caller
    must check the document another way before it trusts it."""


class SchemaCheck(Protocol):
    """The pain.001 XSD check, fed the document as it is written (`pain001.StreamingCheck` in process)."""

    def write(self, data: bytes) -> int:
        """Take the next piece of the document; returns its length."""

    def first_error(self) -> str | None:
        """Once the whole document was written: None when it validates, else the first error; raise
        `SchemaCheckUnavailable` when no verdict could be had."""


class SchemaChecks(Protocol):
    """Where the creator's XSD check runs: in this process, or in a helper beside it."""

    def open(self, transactions: int) -> AbstractContextManager[SchemaCheck]:
        """A check for a document of `transactions` payments; closing it frees what it holds."""
