"""Where the tools point: the local stack (its state file's connection strings) or an azd environment
(the storage and Service Bus endpoints main.bicep outputs, with Entra ID through DefaultAzureCredential).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from azure.servicebus import ServiceBusClient
from azure.storage.blob import BlobServiceClient

from ops.azd_env import read_values, require

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Target:
    """What a tool needs: storage, a way to open Service Bus, and words for the messages it prints."""

    name: str
    blob_service: BlobServiceClient
    service_bus: Callable[[], ServiceBusClient]
    option: str = ""  # what to pass `python -m ops` to reach this target again, for the hints it prints

    def command(self, words: str) -> str:
        """The command line that runs `words` against this target, e.g. for "follow it with ..."."""
        return f"python -m ops{self.option} {words}"


def local_target() -> Target:
    from localdev.stack.state import load_state

    state = load_state()
    return Target(
        name="the local stack",
        blob_service=BlobServiceClient.from_connection_string(state.storage),
        service_bus=lambda: ServiceBusClient.from_connection_string(state.service_bus),
    )


def azd_target(environment: str | None = None, root: Path = REPO) -> Target:
    """The deployed environment; the signed-in identity needs the data roles main.bicep gives the azd
    principal (Storage Blob Data Contributor, Service Bus Data Sender and Receiver)."""
    from azure.identity import DefaultAzureCredential

    values = read_values(root, environment)
    name = environment or values.get("AZURE_ENV_NAME", "default")
    blob_endpoint = require(values, "AZURE_STORAGE_BLOB_ENDPOINT", name)
    namespace = require(values, "AZURE_SERVICEBUS_FULLY_QUALIFIED_NAMESPACE", name)
    credential = DefaultAzureCredential()
    return Target(
        name=f"azd environment {name!r}",
        blob_service=BlobServiceClient(blob_endpoint, credential=credential),
        service_bus=lambda: ServiceBusClient(namespace, credential=credential),
        option=" --target azd" + (f" --env {environment}" if environment else ""),
    )


def resolve(kind: str, environment: str | None) -> Target:
    """The one place a command's target is chosen: `local` (the running stack's `.localdev/stack.json`, or
    PaymentsStorage/ServiceBusConnection) or `azd` (the azd environment's values)."""
    return azd_target(environment) if kind == "azd" else local_target()
