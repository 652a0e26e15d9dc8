"""Output bindings (blob, Storage queue, Service Bus), sent after a function returns, as the host does.

Values are encoded as the library's converters allow (str or bytes; lists for queues). The Service Bus
output sets only the body, exactly the limitation the real binding has.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from azure.servicebus import ServiceBusMessage

from functions_devhost.connections import Connections

HOST_STORAGE = "AzureWebJobsStorage"


class OutputSender:
    """Sends one output binding's value through the shared clients."""

    def __init__(self, connections: Connections, queue_encoding: str = "base64") -> None:
        self._connections = connections
        self._queue_encoding = queue_encoding

    def send(self, function_name: str, binding: dict[str, Any], value: Any) -> None:
        kind = binding["type"]
        if kind == "blob":
            self._blob(binding, value)
        elif kind == "queue":
            self._queue(binding, value)
        elif kind == "serviceBus":
            self._service_bus(binding, value)

    def _blob(self, binding: dict[str, Any], value: Any) -> None:
        path = str(binding["path"]).replace("{rand-guid}", str(uuid.uuid4()))
        if "{" in path:
            raise ValueError(f"devhost: binding expression in blob output path {path!r} is not supported")
        container, _, name = path.partition("/")
        data = value.read() if callable(getattr(value, "read", None)) else value
        service = self._connections.blob_service(binding.get("connection") or HOST_STORAGE)
        service.get_blob_client(container, name).upload_blob(data, overwrite=True)

    def _queue(self, binding: dict[str, Any], value: Any) -> None:
        queue = self._connections.queue_service(binding.get("connection") or HOST_STORAGE).get_queue_client(
            binding["queueName"]
        )
        for item in value if isinstance(value, list) else [value]:
            body = item.get_body() if hasattr(item, "get_body") else item
            raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
            if self._queue_encoding == "base64":
                queue.send_message(base64.b64encode(raw).decode("ascii"))
            else:
                queue.send_message(raw.decode("utf-8"))

    def _service_bus(self, binding: dict[str, Any], value: Any) -> None:
        client = self._connections.service_bus(binding["connection"])
        entity = binding.get("queueName")
        sender = client.get_queue_sender(entity) if entity else client.get_topic_sender(binding["topicName"])
        with sender:
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str | bytes):
                    raise TypeError("a Service Bus output binding accepts only str or bytes")
                sender.send_messages(ServiceBusMessage(item))
