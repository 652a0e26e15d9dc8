"""Storage chores for the stack: containers, the payment-claims table, the reference table, dropping files
into `incoming/` (the samples here, any file through `python -m ops drop`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import BinaryIO

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from localdev.stack.processes import StackError
from shared.topology import (
    BLOB_POISON_QUEUE,
    CONTAINERS,
    INCOMING_CONTAINER,
    PAYMENT_CLAIMS_TABLE,
    REFERENCE_CONTAINER,
    REFERENCE_TABLE_BLOB,
)

HOSTS_CONTAINER = "azure-webjobs-hosts"


def bootstrap(connection_string: str, reference_table: Path) -> None:
    """Create every container, the payment-claims table (on Azurite's table port: the connection string
    carries TableEndpoint) and the host's poison queue; upload the reference table (replacing it)."""
    service = BlobServiceClient.from_connection_string(connection_string)
    for container in (*CONTAINERS, HOSTS_CONTAINER):
        with contextlib.suppress(ResourceExistsError):
            service.create_container(container)
    with contextlib.suppress(ResourceExistsError):
        QueueServiceClient.from_connection_string(connection_string).create_queue(BLOB_POISON_QUEUE)
    with contextlib.suppress(ResourceExistsError):
        TableServiceClient.from_connection_string(connection_string).create_table(PAYMENT_CLAIMS_TABLE)
    if not reference_table.exists():
        raise StackError(f"The reference table {reference_table} is missing; restore it from git.")
    service.get_blob_client(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB).upload_blob(
        reference_table.read_bytes(), overwrite=True
    )


def drop_bytes(service: BlobServiceClient, data: bytes | BinaryIO, blob_name: str) -> str:
    """Upload `data` to `incoming/<blob_name>`; returns the new blob's ETag."""
    result = service.get_blob_client(INCOMING_CONTAINER, blob_name).upload_blob(data, overwrite=True)
    return str(result["etag"])
