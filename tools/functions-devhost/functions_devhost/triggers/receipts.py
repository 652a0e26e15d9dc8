"""Blob-trigger receipts in `azure-webjobs-hosts`, the host's record of which blob versions ran.

A receipt lives at `blobreceipts/{hostId}/{functionId}/{etag}/{container}/{blob}`. It is written with
`Completed=true` metadata once the function succeeded (or the blob was poisoned), so nothing runs twice
and a restart does not reprocess; it holds `Attempts` while failures accumulate, so a restart keeps
counting. Receipts are listed once at start and then kept in memory (this host is their only writer),
so deleting a receipt forces a rerun at the next start.

A success is recorded in memory at once and written by the next scan that still lists that blob version
(`complete_later` / `flush`), or at stop: a function that deletes its blob (as most do) then costs no
receipt at all, since a version that is gone can never be seen again. Until it is written, a crash can
rerun a blob that is still there, which is the host's own at-least-once window, one scan longer.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

HOSTS_CONTAINER = "azure-webjobs-hosts"


@dataclass(frozen=True)
class Receipt:
    """What a receipt says about one blob version."""

    completed: bool
    attempts: int


def _receipt(metadata: dict[str, str]) -> Receipt:
    return Receipt(completed=metadata.get("Completed") == "true", attempts=int(metadata.get("Attempts", "0")))


class BlobReceipts:
    """Reads and writes receipts for one function."""

    def __init__(self, service: BlobServiceClient, host_id: str, function_id: str) -> None:
        self._container = service.get_container_client(HOSTS_CONTAINER)
        self._prefix = f"blobreceipts/{host_id}/{function_id}"
        self._known: dict[tuple[str, str], Receipt] = {}
        self._pending: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def ensure_container(self) -> None:
        with contextlib.suppress(ResourceExistsError):
            self._container.create_container()

    def path(self, etag: str, container: str, blob: str) -> str:
        return f"{self._prefix}/{etag}/{container}/{blob}"

    def load(self, container: str) -> None:
        """Read this function's receipts for `container` once, at start."""
        prefix = f"{self._prefix}/"
        for item in self._container.list_blobs(name_starts_with=prefix, include=["metadata"]):
            etag, _, rest = item.name.removeprefix(prefix).partition("/")
            owner, _, blob = rest.partition("/")
            if owner == container:
                self._known[(etag, blob)] = _receipt(item.metadata or {})

    def known(self, etag: str, blob: str) -> Receipt:
        return self._known.get((etag, blob), Receipt(completed=False, attempts=0))

    def record_failure(self, etag: str, container: str, blob: str, attempts: int) -> None:
        self._write(etag, container, blob, {"Attempts": str(attempts)})

    def complete_later(self, etag: str, container: str, blob: str, attempts: int) -> None:
        """Record a success now; its receipt is written by `flush` if the version is still there."""
        metadata = {"Completed": "true", "Attempts": str(attempts)}
        self._known[(etag, blob)] = _receipt(metadata)
        with self._lock:
            self._pending[(blob, etag)] = (container, metadata)

    def pending(self) -> set[tuple[str, str]]:
        """The (blob, etag) versions whose success is not written yet."""
        with self._lock:
            return set(self._pending)

    def flush(self, keys: set[tuple[str, str]], still_there: set[tuple[str, str]] | None = None) -> None:
        """Write the pending receipts among `keys` whose version is in `still_there` (all if None);
        forget the others: their blob was deleted or replaced, and that version never comes back."""
        for key in keys:
            with self._lock:
                entry = self._pending.pop(key, None)
            if entry is None:
                continue
            if still_there is None or key in still_there:
                blob, etag = key
                container, metadata = entry
                try:
                    self._write(etag, container, blob, metadata)
                except Exception:
                    with self._lock:
                        self._pending.setdefault(key, entry)  # the next scan tries again
                    raise

    def complete(self, etag: str, container: str, blob: str, attempts: int, poisoned: bool = False) -> None:
        metadata = {"Completed": "true", "Attempts": str(attempts)}
        if poisoned:
            metadata["Poisoned"] = "true"
        self._write(etag, container, blob, metadata)

    def _write(self, etag: str, container: str, blob: str, metadata: dict[str, str]) -> None:
        client = self._container.get_blob_client(self.path(etag, container, blob))
        client.upload_blob(b"", overwrite=True, metadata=metadata)
        self._known[(etag, blob)] = _receipt(metadata)
