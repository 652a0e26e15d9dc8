"""Before any listener starts: can the storage accounts and Service Bus namespaces be reached?

Without this, an absent Azurite surfaces a minute later as an SDK traceback after its retries; here it is
one sentence naming the setting, the endpoint and how to start the missing piece.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.storage.blob import BlobServiceClient

from functions_devhost.errors import DevhostError
from functions_devhost.indexer import IndexedFunction
from functions_devhost.settings import resolve_connection

HOST_STORAGE = "AzureWebJobsStorage"


def settings_in_use(functions: list[IndexedFunction]) -> tuple[set[str], set[str]]:
    """(storage settings, Service Bus settings) the triggers need; the host's own storage always."""
    storage, service_bus = {HOST_STORAGE}, set()
    for function in functions:
        connection = str(function.trigger.get("connection") or "")
        if function.trigger_type in ("blobTrigger", "queueTrigger"):
            storage.add(connection or HOST_STORAGE)
        elif function.trigger_type == "serviceBusTrigger":
            service_bus.add(connection)
    return storage, service_bus


def check_storage(setting: str) -> None:
    service = BlobServiceClient.from_connection_string(resolve_connection(setting), retry_total=0)
    try:
        service.get_service_properties(timeout=5)
    except ServiceRequestError:
        raise DevhostError(
            f"Storage for '{setting}' ({service.url}) is not reachable. Is Azurite running? `make run` "
            "starts it, or run `npx azurite --silent --location .localdev/azurite --disableTelemetry "
            "--skipApiVersionCheck`."
        ) from None
    except HttpResponseError as exc:
        raise DevhostError(
            f"Storage for '{setting}' ({service.url}) refused the devhost: {exc.message}"
        ) from None


def check_service_bus(setting: str) -> None:
    parts = dict(part.split("=", 1) for part in resolve_connection(setting).split(";") if "=" in part)
    endpoint = urlsplit(parts.get("Endpoint", ""))
    if parts.get("UseDevelopmentEmulator", "").lower() != "true" or not endpoint.hostname:
        return  # a cloud namespace: the SDK reports its own errors, and there is nothing local to start
    port = endpoint.port or 5672
    try:
        socket.create_connection((endpoint.hostname, port), timeout=3).close()
    except OSError:
        raise DevhostError(
            f"The Service Bus emulator for '{setting}' ({endpoint.hostname}:{port}) is not reachable. "
            "`make run` starts it, or run `python -m servicebus_emulator --config "
            f"shared/topology/servicebus-config.json --port {port}`."
        ) from None


def preflight(functions: list[IndexedFunction]) -> None:
    storage, service_bus = settings_in_use(functions)
    for setting in sorted(storage):
        check_storage(setting)
    for setting in sorted(service_bus):
        check_service_bus(setting)
