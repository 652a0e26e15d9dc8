"""`python -m localdev.dlq` (`make dlq`): what sits in each dead-letter queue, and what was archived from it.

Our dead-letter handlers drain the dead-letter queues within seconds (they archive each message with its
last real error, then compensate), so the archive under `workflow/deadletter/` is where a dead-lettered
file is found afterwards; a message still in a dead-letter queue is one a handler has not taken yet (or
cannot: see its log). Peeks with the official SDK, so nothing is locked or removed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusSubQueue
from azure.storage.blob import BlobServiceClient

from localdev.stack.processes import StackError
from localdev.stack.state import load_state
from shared.topology import WORKFLOW_CONTAINER, namespace

PEEK = 50


def entities() -> list[tuple[str, str | None]]:
    """(queue or topic, subscription or None) for every entity with a dead-letter queue, from the topology."""
    ns = namespace()
    found: list[tuple[str, str | None]] = [(q["Name"], None) for q in ns.get("Queues", [])]
    for topic in ns.get("Topics", []):
        found += [(topic["Name"], s["Name"]) for s in topic.get("Subscriptions", [])]
    return found


def peek_dead_letters(client: ServiceBusClient, entity: str, subscription: str | None) -> list[Any]:
    if subscription is None:
        receiver = client.get_queue_receiver(entity, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
    else:
        receiver = client.get_subscription_receiver(
            entity, subscription, sub_queue=ServiceBusSubQueue.DEAD_LETTER
        )
    with receiver:
        return list(receiver.peek_messages(max_message_count=PEEK, timeout=5))


def archived(service: BlobServiceClient) -> list[dict[str, Any]]:
    workflow = service.get_container_client(WORKFLOW_CONTAINER)
    records = []
    for blob in workflow.list_blobs(name_starts_with="deadletter/"):
        record = json.loads(workflow.get_blob_client(blob.name).download_blob().readall())
        record["path"] = f"{WORKFLOW_CONTAINER}/{blob.name}"
        record.setdefault("file_id", blob.name.split("/")[1])  # deadletter/<file id>/<entity>/<id>.json
        records.append(record)
    return sorted(records, key=lambda r: str(r.get("archived_at", "")))


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
        for entity, subscription in entities():
            label = entity if subscription is None else f"{entity}/Subscriptions/{subscription}"
            messages = peek_dead_letters(client, entity, subscription)
            more = "+" if len(messages) == PEEK else ""
            print(f"  {label + '/$DeadLetterQueue':<66} {len(messages)}{more}")
            for message in messages[:5]:
                print(f"      {message.message_id}  {message.dead_letter_reason}: "
                      f"{(message.dead_letter_error_description or '')[:100]}")  # fmt: skip
    records = archived(BlobServiceClient.from_connection_string(state.storage))
    print(f"\nArchived by the dead-letter handlers: {len(records)} (`make replay ID=<file id>` re-sends one)")
    for record in records:
        error = record.get("last_error") or {}
        last = f"{error.get('error_type')}: {error.get('error_message')}" if error else "no error recorded"
        print(f"  {record.get('archived_at', '?')}  {record.get('file_id', '?')}  from {record.get('entity')}"
              f"  {record.get('dead_letter_reason')}; last error {last[:100]}")  # fmt: skip
    return 0
