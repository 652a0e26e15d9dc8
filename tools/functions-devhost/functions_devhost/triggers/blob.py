"""Blob trigger, polling source (`LogsAndContainerScan`): scan, receipts, retries, then the poison queue.

Each scan lists the container; blob versions (name + ETag) without a completed receipt run on a pool of
`maxDegreeOfParallelism` threads. A success's receipt is written by the next scan that still lists the
version (or at stop), so a blob the function deleted costs none (see receipts.py). A failure is retried
on the next scan; after `poisonBlobThreshold` failures the host's poison message goes to the Storage
queue `webjobs-blobtrigger-poison`, base64-encoded like the host writes it. An Event Grid-source
trigger is polled too (Azurite emits no events), with a warning.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import json
import logging
import os
import threading
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.functions import meta
from azure.storage.blob import BlobProperties

from functions_devhost.connections import Connections
from functions_devhost.hostjson import BlobOptions
from functions_devhost.indexer import IndexedFunction
from functions_devhost.invoker import Invocation, Invoker
from functions_devhost.sdk_types import blob_binding_data
from functions_devhost.supervisor import in_partition
from functions_devhost.triggers.blob_path import compile_blob_path
from functions_devhost.triggers.listener import PollingListener
from functions_devhost.triggers.receipts import BlobReceipts

log = logging.getLogger("devhost.blob")

POISON_QUEUE = "webjobs-blobtrigger-poison"
HOST_STORAGE = "AzureWebJobsStorage"
LOST_EVENTS_SETTING = "DEVHOST_LOST_BLOB_EVENTS"  # test only: an fnmatch pattern over container/name


def _etag(blob: BlobProperties) -> str:
    """The ETag in its HTTP header form (quoted), as the host reports it; listings return it bare."""
    return '"' + str(blob.etag).strip('"') + '"'


class BlobListener(PollingListener):
    """Drives one blob-triggered function."""

    thread_prefix = "scan"

    def __init__(
        self,
        *,
        function: IndexedFunction,
        invoker: Invoker,
        connections: Connections,
        options: BlobOptions,
        host_id: str,
        poll_interval: float,
        partition: tuple[int, int] = (0, 1),
    ) -> None:
        super().__init__(function, invoker, poll_interval, options.max_degree_of_parallelism,
                         f"blob-{function.name}")
        self._partition = partition  # (index, count): with --workers N, this process runs 1/N of the blobs
        self._options = options
        self._path = compile_blob_path(str(function.trigger["path"]), function.name)
        self._connection = function.trigger.get("connection") or HOST_STORAGE
        self._source = connections.blob_service(self._connection)
        self._container = self._source.get_container_client(self._path.container)
        self._receipts = BlobReceipts(connections.blob_service(HOST_STORAGE), host_id, function.function_id)
        self._poison = connections.queue_service(HOST_STORAGE).get_queue_client(POISON_QUEUE)
        self._inflight: set[tuple[str, str]] = set()
        self._done: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        # Test knob: blobs matching this pattern ("container/name") never trigger, as when Event Grid
        # dead-letters their BlobCreated event in Azure; the app's reconciler must find them.
        self._lost_events = os.environ.get(LOST_EVENTS_SETTING, "")
        self._lost_seen: set[tuple[str, str]] = set()
        if function.trigger.get("source") == "EventGrid":
            log.warning(
                "Function '%s': blob trigger source is EventGrid; Azurite sends no events, so the "
                "devhost polls the container instead",
                function.name,
            )

    def _prepare(self) -> None:
        self._receipts.ensure_container()
        self._receipts.load(self._path.container)
        for create in (self._container.create_container, self._poison.create_queue):
            with contextlib.suppress(ResourceExistsError):
                create()

    def stop(self, grace_seconds: float) -> None:
        super().stop(grace_seconds)
        try:
            self._receipts.flush(self._receipts.pending())
        except Exception:
            log.exception("Function '%s': could not write blob receipts at stop", self._function.name)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._scan()
            except Exception:
                log.exception(
                    "Function '%s': scanning container '%s' failed; retrying",
                    self._function.name,
                    self._path.container,
                )
            self._stopping.wait(self._poll)

    def _scan(self) -> None:
        with self._lock:
            # With a backlog queued, listing again would only re-parse the same names (costly in bursts).
            if len(self._inflight) >= self._options.max_degree_of_parallelism:
                return
        # Successes recorded before this listing started: those still listed get their receipt now.
        pending, listed = self._receipts.pending(), set()
        for blob in self._container.list_blobs(name_starts_with=self._path.prefix or None):
            parts = self._path.match(blob.name)
            key = (blob.name, _etag(blob))
            listed.add(key)
            if parts is None or self._stopping.is_set():
                continue
            if self._partition[1] > 1 and not in_partition(self._path.container, blob.name, *self._partition):
                continue
            if self._event_lost(key):
                continue
            with self._lock:
                if key in self._inflight or key in self._done:
                    continue
                self._inflight.add(key)
            self._pool.submit(self._process, blob, parts)
        self._receipts.flush(pending, listed)

    def _event_lost(self, key: tuple[str, str]) -> bool:
        where = f"{self._path.container}/{key[0]}"
        if not self._lost_events or not fnmatch.fnmatchcase(where, self._lost_events):
            return False
        if key not in self._lost_seen:
            self._lost_seen.add(key)
            log.warning("Function '%s': %s/%s matches %s; its blob event is treated as lost",
                        self._function.name, self._path.container, key[0], LOST_EVENTS_SETTING)
        return True

    def _process(self, blob: BlobProperties, parts: dict[str, str]) -> None:
        key = (blob.name, _etag(blob))
        try:
            finished = self._attempt(blob, parts)
        except Exception:
            log.exception("Function '%s': could not process blob %s", self._function.name, blob.name)
            finished = False
        with self._lock:
            self._inflight.discard(key)
            if finished:
                self._done.add(key)

    def _attempt(self, blob: BlobProperties, parts: dict[str, str]) -> bool:
        """One try at one blob version; True when it needs no more tries."""
        etag, container = _etag(blob), self._path.container
        receipt = self._receipts.known(etag, blob.name)
        if receipt.completed or self._stopping.is_set():
            return receipt.completed
        data = self._input(blob)
        if data is None:
            return True  # deleted or replaced since the scan: the new version has its own ETag
        reason = f"New blob detected(LogsAndContainerScan): {container}/{blob.name}"
        invocation = Invocation(
            data=data,
            metadata=self._metadata(blob, parts),
            reason=reason,
            file_id=f"{container}/{blob.name}",
        )
        result = self._invoker.invoke(self._function, invocation)
        attempts = receipt.attempts + 1
        if result.succeeded:
            self._receipts.complete_later(etag, container, blob.name, attempts)
            return True
        if attempts >= self._options.poison_blob_threshold:
            self._send_poison(blob, attempts)
            self._receipts.complete(etag, container, blob.name, attempts, poisoned=True)
            return True
        self._receipts.record_failure(etag, container, blob.name, attempts)
        return False

    def _input(self, blob: BlobProperties) -> Any:
        """The function's input: the listed version's bytes, or (an SDK-typed parameter) only where the
        blob is, so nothing is downloaded; None when the listed version is gone."""
        if self._function.sdk_type is not None:
            return blob_binding_data(self._connection, self._path.container, blob.name)
        try:
            download = self._container.get_blob_client(blob.name).download_blob(
                etag=blob.etag, match_condition=MatchConditions.IfNotModified
            )
            data = download.readall()
        except (ResourceNotFoundError, ResourceModifiedError):
            return None
        blob.metadata = download.properties.metadata
        blob.content_settings = download.properties.content_settings
        return meta.Datum(data, "bytes")

    def _metadata(self, blob: BlobProperties, parts: dict[str, str]) -> dict[str, meta.Datum]:
        url = f"{self._container.url}/{blob.name}"
        properties: dict[str, Any] = {
            "ContentLength": blob.size,
            "Length": blob.size,
            "BlobType": "BlockBlob",
            "ETag": _etag(blob),
            "ContentType": blob.content_settings.content_type,
            "LastModified": blob.last_modified.isoformat() if blob.last_modified else None,
        }
        metadata = {
            "BlobTrigger": meta.Datum(f"{self._path.container}/{blob.name}", "string"),
            "Uri": meta.Datum(url, "string"),
            "Properties": meta.Datum(json.dumps(properties), "json"),
            "Metadata": meta.Datum(json.dumps(blob.metadata or {}), "json"),
        }
        metadata.update({name: meta.Datum(value, "string") for name, value in parts.items()})
        return metadata

    def _send_poison(self, blob: BlobProperties, attempts: int) -> None:
        message = {
            "Type": "BlobTrigger",
            "FunctionId": self._function.function_id,
            "BlobType": "BlockBlob",
            "ContainerName": self._path.container,
            "BlobName": blob.name,
            "ETag": _etag(blob),
        }
        self._poison.send_message(base64.b64encode(json.dumps(message).encode("utf-8")).decode("ascii"))
        log.error(
            "Function '%s': blob %s/%s failed %d times; moved to the poison queue '%s'",
            self._function.name,
            self._path.container,
            blob.name,
            attempts,
            POISON_QUEUE,
        )
