"""`deadletters [FILE_ID]` (`make dlq`): what sits in each dead-letter queue now, and what the dead-letter
handlers archived from them, with each message's last real error.

Our dead-letter handlers drain the dead-letter queues within seconds (they archive each message with its
last real error, then compensate), so the archive under `workflow/deadletter/` is where a dead-lettered
file is found afterwards; a message still in a dead-letter queue is one a handler has not taken yet (or
cannot: see its log). The queues are peeked with the official SDK, never received, so nothing is locked
or settled.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass

from azure.servicebus import ServiceBusClient, ServiceBusReceivedMessage, ServiceBusSubQueue
from azure.storage.blob import BlobServiceClient

from ops.target import Target
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.deadletter_archive import Archived, read_archived
from shared.topology import namespace

PEEK = 50  # per dead-letter queue; more is shown as `50+`
SHOWN = 5  # messages listed under each queue's count
ARCHIVE_LIMIT = 200  # the newest archive entries; give a FILE_ID for one file's


@dataclass(frozen=True)
class DeadLetterQueue:
    """One dead-letter queue: a queue's (`file-adapted`) or a topic subscription's (`file-failed/x`)."""

    queue: str | None
    subscription: str | None  # `topic/subscription`

    @property
    def label(self) -> str:
        """The entity path as Service Bus names it, e.g. `file-failed/Subscriptions/x/$DeadLetterQueue`."""
        base = self.queue or str(self.subscription).replace("/", "/Subscriptions/", 1)
        return f"{base}/$DeadLetterQueue"


def archived(service: BlobServiceClient, file_id: str | None = None,
             limit: int = ARCHIVE_LIMIT) -> list[Archived]:  # fmt: skip
    """The newest `limit` archive entries (of one file, or of all), newest first."""
    return read_archived(AzureBlobStore(service), file_id)[::-1][:limit]


def dead_letter_queues() -> Iterator[DeadLetterQueue]:
    """Every dead-letter queue of the topology: each queue's, each topic subscription's."""
    ns = namespace()
    for queue in ns.get("Queues", []):
        yield DeadLetterQueue(queue["Name"], None)
    for topic in ns.get("Topics", []):
        for sub in topic.get("Subscriptions", []):
            yield DeadLetterQueue(None, f"{topic['Name']}/{sub['Name']}")


def peek(client: ServiceBusClient, dlq: DeadLetterQueue) -> list[ServiceBusReceivedMessage]:
    """Up to PEEK messages of one dead-letter queue, peeked (nothing is locked or removed)."""
    if dlq.queue is not None:
        receiver = client.get_queue_receiver(dlq.queue, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
    else:
        topic, _, name = str(dlq.subscription).partition("/")
        receiver = client.get_subscription_receiver(topic, name, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
    with receiver:
        return list(receiver.peek_messages(max_message_count=PEEK, timeout=5))


def deadletters(target: Target, args: argparse.Namespace) -> int:
    _print_queues(target, args.file_id)
    if not args.live:
        _print_archive(target, args.file_id)
    return 0


def _print_queues(target: Target, file_id: str | None) -> None:
    print(f"Dead-letter queues in {target.name} (peeked, nothing removed):")
    with target.service_bus() as client:
        for dlq in dead_letter_queues():
            messages = [m for m in peek(client, dlq) if file_id in (None, m.correlation_id)]
            more = "+" if len(messages) == PEEK else ""
            print(f"  {dlq.label:<66} {len(messages)}{more}")
            for message in messages[:SHOWN]:
                print(f"      {message.message_id}  {message.correlation_id or '?'}  "
                      f"{message.dead_letter_reason}: {(message.dead_letter_error_description or '')[:100]}")


def _print_archive(target: Target, file_id: str | None) -> None:
    records = archived(target.blob_service, file_id)
    print(f"\nArchived by the dead-letter handlers, newest first: {len(records)} "
          f"(`{target.command('replay FILE_ID')}` re-sends one)")
    for record in records:
        last = record.error or "no error recorded"
        print(f"  {record.archived_at or '?'}  {record.file_id}  from {record.entity}  {record.reason}; "
              f"last error {last[:100]}")
