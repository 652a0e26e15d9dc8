"""`python -m localdev.dlq` (`make dlq`): what sits in each dead-letter queue, and what was archived from it.

Our dead-letter handlers drain the dead-letter queues within seconds (they archive each message with its
last real error, then compensate), so the archive under `workflow/deadletter/` is where a dead-lettered
file is found afterwards; a message still in a dead-letter queue is one a handler has not taken yet (or
cannot: see its log). Peeks with the official SDK, so nothing is locked or removed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusSubQueue
from azure.storage.blob import BlobServiceClient

from localdev.stack.processes import StackError
from localdev.stack.state import load_state
from ops.deadletters import archived, dead_letter_queues

PEEK = 50
ARCHIVE_LIMIT = 200  # the newest; `python -m ops deadletters` browses one file's


def peek_dead_letters(client: ServiceBusClient, queue: str | None, subscription: str | None) -> list[Any]:
    """Peek one dead-letter queue; `subscription` is `topic/subscription` as `dead_letter_queues` gives it."""
    if queue is not None:
        receiver = client.get_queue_receiver(queue, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
    else:
        topic, _, name = str(subscription).partition("/")
        receiver = client.get_subscription_receiver(topic, name, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
    with receiver:
        return list(receiver.peek_messages(max_message_count=PEEK, timeout=5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.dlq", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.parse_args(argv)
    try:
        state = load_state()
    except StackError as exc:
        print(f"dlq: {exc}", file=sys.stderr)
        return 2
    print("Dead-letter queues (peeked, nothing removed):")
    with ServiceBusClient.from_connection_string(state.service_bus) as client:
        for _, queue, subscription in dead_letter_queues():
            label = queue or str(subscription).replace("/", "/Subscriptions/", 1)
            messages = peek_dead_letters(client, queue, subscription)
            more = "+" if len(messages) == PEEK else ""
            print(f"  {label + '/$DeadLetterQueue':<66} {len(messages)}{more}")
            for message in messages[:5]:
                print(f"      {message.message_id}  {message.dead_letter_reason}: "
                      f"{(message.dead_letter_error_description or '')[:100]}")  # fmt: skip
    records = archived(BlobServiceClient.from_connection_string(state.storage), limit=ARCHIVE_LIMIT)
    print(f"\nArchived by the dead-letter handlers, newest first: {len(records)} (`make replay ID=<file id>` "
          "re-sends one)")
    for record in records:
        last = record.error or "no error recorded"
        print(f"  {record.archived_at or '?'}  {record.file_id}  from {record.entity}  {record.reason}; "
              f"last error {last[:100]}")  # fmt: skip
    return 0
