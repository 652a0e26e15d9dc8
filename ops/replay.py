"""Re-send an archived dead-lettered message to its original queue (or topic), at most once unless forced.

The archive (`workflow/deadletter/<file id>/<entity>/<message id>.json`, written by the dead-letter
handlers) keeps the exact body and application properties. The guard is a create-if-absent marker blob,
`workflow/replays/<file id>/<entity>/<original message id>.json`, written before sending (and removed if the
send fails), so two replays, even concurrent ones, cannot both go out by accident. A replayed message that is
dead-lettered again is archived under its replay id (`…:replay-1`); the guard keys on the original id, so
that archive is guarded by the same marker and `--force` sends `…:replay-2`, never `…:replay-1:replay-1`.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from azure.core.exceptions import ResourceExistsError
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from azure.storage.blob import BlobServiceClient, ContainerClient

from ops.errors import NotFoundError, OpsError
from ops.target import Target
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.deadletter_archive import Archived, read_archived
from shared.handlers.timeline import read_terminal
from shared.topology import BLOB_POISON_QUEUE, FILE_ENDED_TOPIC, FILE_FAILED_TOPIC, WORKFLOW_CONTAINER


def choose(archives: list[Archived], file_id: str, entity: str | None) -> Archived:
    if not archives:
        raise NotFoundError(f"No dead-letter archive for {file_id!r} (nothing under "
                            f"workflow/deadletter/{file_id}/); `python -m ops deadletters` lists them.")
    if entity:
        archives = [a for a in archives if a.entity == entity]
        if not archives:
            raise NotFoundError(f"No archive for {file_id!r} from entity {entity!r}.")
    entities = sorted({a.entity for a in archives})
    if len(entities) > 1:
        raise OpsError(f"{file_id!r} has archives from {', '.join(entities)}; choose one with --entity.")
    return archives[-1]


def target_of(entity: str) -> tuple[str, bool]:
    """(entity to send to, is a topic) for an archived message's source entity."""
    if entity == BLOB_POISON_QUEUE:
        raise OpsError(
            "This file failed in the blob trigger (poison queue): replay it by dropping the "
            "corrected original again, e.g. `make drop FILE=path/to/file.csv`."
        )
    base = entity.removesuffix("/$DeadLetterQueue")
    for topic in (FILE_FAILED_TOPIC, FILE_ENDED_TOPIC):  # a subscription's archive goes back to its topic
        if base == topic or base.startswith(f"{topic}/"):
            return topic, True
    return base, False


def claim_replay(workflow: ContainerClient, archive: Archived, file_id: str, force: bool) -> tuple[str, int]:
    """Write the create-if-absent marker; returns (marker name, replay number)."""
    base = f"replays/{file_id}/{archive.entity}/{archive.original_message_id}"
    for number in range(1, 100):
        name = f"{base}.json" if number == 1 else f"{base}.{number}.json"
        marker = {
            "archive": f"{WORKFLOW_CONTAINER}/{archive.path}",
            "replay": number,
            "replayed_at": datetime.now(UTC).isoformat(),
        }
        try:
            workflow.get_blob_client(name).upload_blob(json.dumps(marker).encode(), overwrite=False)
            return name, number
        except ResourceExistsError:
            if not force:
                previous = json.loads(workflow.get_blob_client(name).download_blob().readall())
                raise OpsError(
                    f"{archive.original_message_id} was already replayed at {previous['replayed_at']} "
                    f"(marker {WORKFLOW_CONTAINER}/{name}). Pass --force to replay it again."
                ) from None
    raise OpsError("Too many replays of this message.")


def _service_bus(service_bus: ServiceBusClient | str) -> ServiceBusClient:
    return (ServiceBusClient.from_connection_string(service_bus) if isinstance(service_bus, str)
            else service_bus)


def send(service_bus: ServiceBusClient | str, archive: Archived, number: int) -> str:
    """Send the archived message; a connection string (the local stack) or a client (Azure, Entra ID)."""
    entity, is_topic = target_of(archive.entity)
    properties = dict(archive.record.get("application_properties") or {})
    # A new id, or duplicate detection would drop it; from the original id, so replays never chain.
    message_id = f"{archive.original_message_id}:replay-{number}"
    message = ServiceBusMessage(
        archive.body(),
        message_id=message_id,
        correlation_id=archive.record.get("correlation_id"),
        application_properties=properties,
        content_type="application/json",
        subject=properties.get("type"),
    )
    with _service_bus(service_bus) as client:
        sender = client.get_topic_sender(entity) if is_topic else client.get_queue_sender(entity)
        with sender:
            sender.send_messages(message)
    return message_id


def replay(storage: BlobServiceClient | str, service_bus: ServiceBusClient | str, file_id: str,
           entity: str | None, force: bool) -> str:
    """Replay the newest archived message for `file_id`; returns a one-line description of what was sent.
    Connection strings reach the local stack; clients built with DefaultAzureCredential reach Azure."""
    service = BlobServiceClient.from_connection_string(storage) if isinstance(storage, str) else storage
    workflow = service.get_container_client(WORKFLOW_CONTAINER)
    archive = choose(read_archived(AzureBlobStore(service), file_id), file_id, entity)
    target, _ = target_of(archive.entity)
    marker, number = claim_replay(workflow, archive, file_id, force)
    try:
        message_id = send(service_bus, archive, number)
    except Exception:
        workflow.get_blob_client(marker).delete_blob()
        raise
    return (
        f"Replayed {archive.message_id} from {WORKFLOW_CONTAINER}/{archive.path} to {target} as {message_id}"
    )


def replay_command(target: Target, args: argparse.Namespace) -> int:
    print(replay(target.blob_service, target.service_bus(), args.file_id, args.entity, args.force))
    terminal = read_terminal(AzureBlobStore(target.blob_service), args.file_id)
    if terminal is not None:
        print(f"note: {args.file_id} already ended {terminal['state']}; a terminal state is recorded once, "
              "so the replay's steps are added to the timeline but the state stays. To process a corrected "
              "file from scratch, drop it again.")
    print(f"Follow it with `{target.command('status ' + args.file_id)}`.")
    return 0
