"""`Publisher` over azure-servicebus: one client per process, created on first use, one sender per
entity, each guarded by its own lock (SDK senders are not thread-safe; the host runs sync functions
on a thread pool). A sender that failed is dropped so the next attempt reconnects.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSender

from shared.ports import OutgoingMessage
from shared.topology import namespace


class ServiceBusPublisher:
    def __init__(self, client_factory: Callable[[], ServiceBusClient]) -> None:
        self._factory = client_factory
        self._client: ServiceBusClient | None = None
        self._senders: dict[str, tuple[ServiceBusSender, threading.Lock]] = {}
        self._lock = threading.Lock()

    def publish(self, entity: str, message: OutgoingMessage) -> None:
        sender, lock = self._sender(entity)
        outgoing = ServiceBusMessage(
            message.body,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            subject=message.subject,
            content_type=message.content_type,
            application_properties=dict(message.application_properties),  # type: ignore[arg-type]
        )
        with lock:
            try:
                sender.send_messages(outgoing)
            except Exception:
                self._discard(entity, sender)
                raise

    def ready(self) -> None:
        """Build the client if it is not built yet: a missing or malformed setting raises here."""
        with self._lock:
            if self._client is None:
                self._client = self._factory()

    def close(self) -> None:
        with self._lock:
            for sender, _ in self._senders.values():
                sender.close()
            self._senders.clear()
            if self._client is not None:
                self._client.close()
                self._client = None

    def _sender(self, entity: str) -> tuple[ServiceBusSender, threading.Lock]:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            if entity not in self._senders:
                sender = (
                    self._client.get_queue_sender(entity)
                    if _is_queue(entity)
                    else (self._client.get_topic_sender(entity))
                )
                self._senders[entity] = (sender, threading.Lock())
            return self._senders[entity]

    def _discard(self, entity: str, sender: ServiceBusSender) -> None:
        with self._lock:
            if self._senders.get(entity, (None,))[0] is sender:
                del self._senders[entity]
        # Closing a broken link may fail too; the send error is what the caller must see.
        with contextlib.suppress(Exception):
            sender.close()


def _is_queue(entity: str) -> bool:
    return any(queue["Name"] == entity for queue in namespace()["Queues"])
