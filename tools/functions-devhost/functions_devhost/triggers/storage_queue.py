"""Storage queue trigger: poll, run with the dequeue count, delete on success, poison after maxDequeueCount.

Messages are base64 by default (`extensions.queues.messageEncoding`), like the host's v5 extension; one that
is not valid base64 cannot be decoded and goes straight to the poison queue with an error in the log.
A failed message becomes visible again after `visibilityTimeout` (default 0), as with the host.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions import meta
from azure.storage.queue import QueueMessage

from functions_devhost.connections import Connections
from functions_devhost.hostjson import QueueOptions
from functions_devhost.indexer import IndexedFunction
from functions_devhost.invoker import Invocation, Invoker
from functions_devhost.triggers.listener import PollingListener

log = logging.getLogger("devhost.queue")

HOST_STORAGE = "AzureWebJobsStorage"
_IN_FLIGHT_VISIBILITY = 300  # seconds a running message stays hidden (the host uses minutes and renews)


def _iso(value: object) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else None


class StorageQueueListener(PollingListener):
    """Drives one queue-triggered function."""

    thread_prefix = "poll"

    def __init__(
        self,
        function: IndexedFunction,
        invoker: Invoker,
        connections: Connections,
        options: QueueOptions,
        poll_interval: float,
    ) -> None:
        super().__init__(function, invoker, poll_interval, options.batch_size, f"queue-{function.name}")
        self._options = options
        service = connections.queue_service(function.trigger.get("connection") or HOST_STORAGE)
        name = str(function.trigger["queueName"])
        self._queue = service.get_queue_client(name)
        self._poison = service.get_queue_client(f"{name}-poison")

    def _prepare(self) -> None:
        for queue in (self._queue, self._poison):
            with contextlib.suppress(ResourceExistsError):
                queue.create_queue()

    def _run(self) -> None:
        idle_wait = self._poll
        while not self._stopping.is_set():
            try:
                got = self._poll_once()
            except Exception:
                log.exception(
                    "Function '%s': polling queue '%s' failed; retrying",
                    self._function.name,
                    self._queue.queue_name,
                )
                got = 0
            # Like the host: poll again at once while there is work, back off exponentially when idle.
            idle_wait = (
                self._poll
                if got
                else min(idle_wait * 2, max(self._poll, self._options.max_polling_interval_seconds))
            )
            if not got:
                self._stopping.wait(idle_wait)

    def _poll_once(self) -> int:
        batch = self._options.batch_size
        messages = list(
            self._queue.receive_messages(
                messages_per_page=batch, max_messages=batch, visibility_timeout=_IN_FLIGHT_VISIBILITY
            )
        )
        for future in [self._pool.submit(self._process, message) for message in messages]:
            future.result()
        return len(messages)

    def _process(self, message: QueueMessage) -> None:
        body = self._decode(message)
        if body is None:
            self._to_poison(message)
            return
        invocation = Invocation(
            data=meta.Datum(body, "string"),
            metadata=self._metadata(message),
            reason=f"New queue message detected on '{self._queue.queue_name}'.",
            file_id=_label(body),
        )
        result = self._invoker.invoke(self._function, invocation)
        if result.succeeded:
            self._queue.delete_message(message)
        elif message.dequeue_count is not None and message.dequeue_count >= self._options.max_dequeue_count:
            self._to_poison(message)
        else:
            self._queue.update_message(
                message, visibility_timeout=int(self._options.visibility_timeout_seconds)
            )

    def _decode(self, message: QueueMessage) -> str | None:
        raw = str(message.content)
        if self._options.message_encoding == "none":
            return raw
        try:
            return base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            log.error(
                "Function '%s': message %s on '%s' is not valid base64 (host.json messageEncoding is "
                "base64); moving it to the poison queue",
                self._function.name,
                message.id,
                self._queue.queue_name,
            )
            return None

    def _to_poison(self, message: QueueMessage) -> None:
        self._poison.send_message(message.content)
        with contextlib.suppress(ResourceNotFoundError):
            self._queue.delete_message(message)
        log.error(
            "Function '%s': message %s moved to '%s' after %s dequeues",
            self._function.name,
            message.id,
            self._poison.queue_name,
            message.dequeue_count,
        )

    def _metadata(self, message: QueueMessage) -> dict[str, meta.Datum]:
        fields = {
            "Id": message.id,
            "PopReceipt": message.pop_receipt,
            "InsertionTime": _iso(message.inserted_on),
            "ExpirationTime": _iso(message.expires_on),
            "NextVisibleTime": _iso(message.next_visible_on),
        }
        metadata = {key: meta.Datum(value, "string") for key, value in fields.items() if value is not None}
        metadata["DequeueCount"] = meta.Datum(int(message.dequeue_count or 1), "int")
        return metadata


def _label(body: str) -> str:
    """The blob a poison message names, so the log line says which file it is about."""
    if '"BlobName"' not in body:
        return ""
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    return (
        f"{document.get('ContainerName', '')}/{document.get('BlobName', '')}"
        if isinstance(document, dict)
        else ""
    )
