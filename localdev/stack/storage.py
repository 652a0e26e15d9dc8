"""Storage chores for the stack: containers, the reference table, dropping files into `incoming/`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from localdev.stack.processes import StackError
from shared.topology import (
    BLOB_POISON_QUEUE,
    CONTAINERS,
    INCOMING_CONTAINER,
    REFERENCE_CONTAINER,
    REFERENCE_TABLE_BLOB,
)

HOSTS_CONTAINER = "azure-webjobs-hosts"


def bootstrap(connection_string: str, reference_table: Path) -> None:
    """Create every container and the host's poison queue; upload the reference table (replacing it)."""
    service = BlobServiceClient.from_connection_string(connection_string)
    for container in (*CONTAINERS, HOSTS_CONTAINER):
        with contextlib.suppress(ResourceExistsError):
            service.create_container(container)
    with contextlib.suppress(ResourceExistsError):
        QueueServiceClient.from_connection_string(connection_string).create_queue(BLOB_POISON_QUEUE)
    if not reference_table.exists():
        raise StackError(f"The reference table {reference_table} is missing; restore it from git.")
    service.get_blob_client(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB).upload_blob(
        reference_table.read_bytes(), overwrite=True
    )


def blob_name_for(path: Path, sender: str | None, known_senders: Collection[str] = ()) -> str:
    """`<sender>/<file name>`: the given sender, or the file's folder when it is named after a known sender
    (as in samples/incoming/); any file name is kept as it is."""
    if sender is not None:
        if not sender or "/" in sender or "\\" in sender or sender in (".", "..") or sender != sender.strip():
            raise StackError(
                f"--sender {sender!r} is not a sender id: give one folder name such as acme-payroll "
                "(no slashes, no spaces around it)."
            )
        return str(PurePosixPath(sender) / path.name)
    folder = path.resolve().parent.name
    if folder in known_senders:
        return str(PurePosixPath(folder) / path.name)
    known = ", ".join(sorted(known_senders)) or "none: is the reference table uploaded?"
    raise StackError(
        f"Cannot tell the sender of {path}: its folder {folder!r} is not a known sender. Pass --sender "
        f"(make drop ... SENDER=acme-payroll); the reference table knows: {known}."
    )


def known_senders(connection_string: str) -> list[str]:
    """The sender ids of the reference table the running stack uses (empty if it cannot be read)."""
    service = BlobServiceClient.from_connection_string(connection_string)
    try:
        raw = service.get_blob_client(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB).download_blob().readall()
        senders = json.loads(raw).get("senders", {})
    except (ResourceNotFoundError, ValueError, AttributeError):
        return []
    return sorted(senders) if isinstance(senders, dict) else []


def drop_file(connection_string: str, path: Path, blob_name: str) -> str:
    """Upload a local file to `incoming/<blob_name>`; returns the new blob's ETag."""
    if not path.is_file():
        raise StackError(f"{path} is not a file.")
    with path.open("rb") as data:
        return drop_bytes(connection_string, data, blob_name)


def drop_bytes(connection_string: str, data: bytes | BinaryIO, blob_name: str) -> str:
    """Upload `data` to `incoming/<blob_name>`; returns the new blob's ETag."""
    service = BlobServiceClient.from_connection_string(connection_string)
    result = service.get_blob_client(INCOMING_CONTAINER, blob_name).upload_blob(data, overwrite=True)
    return str(result["etag"])
