"""Browse what failed: the dead-letter archive the handlers wrote (with each message's real error), and,
with `--live`, what sits in the dead-letter queues now (peeked, never received, so nothing is settled).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from azure.servicebus import ServiceBusSubQueue
from azure.storage.blob import BlobServiceClient

from ops.target import Target
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.deadletter_archive import Archived, read_archived
from shared.topology import namespace


def archived(service: BlobServiceClient, file_id: str | None = None, limit: int = 50) -> list[Archived]:
    """The newest `limit` archive entries (of one file, or of all), newest first."""
    return read_archived(AzureBlobStore(service), file_id)[::-1][:limit]


def dead_letter_queues() -> Iterator[tuple[str, str | None, str | None]]:
    """(entity label, queue name, (topic, subscription)) for every DLQ in the topology."""
    ns = namespace()
    for queue in ns.get("Queues", []):
        yield queue["Name"], queue["Name"], None
    for topic in ns.get("Topics", []):
        for sub in topic.get("Subscriptions", []):
            yield f"{topic['Name']}/{sub['Name']}", None, f"{topic['Name']}/{sub['Name']}"


def peek_live(target: Target, per_queue: int = 20) -> list[dict[str, Any]]:
    """Peek each dead-letter queue: what the handlers have not drained (they normally do within seconds)."""
    rows: list[dict[str, Any]] = []
    with target.service_bus() as client:
        for label, queue, subscription in dead_letter_queues():
            if queue is not None:
                receiver = client.get_queue_receiver(queue, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
            else:
                topic, sub = str(subscription).split("/")
                receiver = client.get_subscription_receiver(topic, sub,
                                                            sub_queue=ServiceBusSubQueue.DEAD_LETTER)
            with receiver:
                for message in receiver.peek_messages(max_message_count=per_queue):
                    rows.append({"entity": f"{label}/$DeadLetterQueue", "message_id": message.message_id,
                                 "file_id": message.correlation_id, "reason": message.dead_letter_reason,
                                 "enqueued": str(message.enqueued_time_utc)})
    return rows
