"""SDK-type bindings: a trigger parameter annotated with a storage client type gets that client, not bytes.

With `azurefunctions-extensions-bindings-blob` installed, a blob-triggered function may declare
`blob: BlobClient` (or `ContainerClient`, `StorageStreamDownloader`). The host then sends the worker no
content, only model binding data (the connection setting's name, the container and the blob), and the
extension builds the client from it; a large blob never passes through the host or the worker's memory.
The devhost does the same: it downloads nothing for such a function and decodes the parameter with the
extension's own converter. The extensions are optional; without `azurefunctions-extensions-base` no
annotation is an SDK type and every trigger gets what `azure.functions` converts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# What the host puts in a blob's model binding data (Microsoft.Azure.WebJobs.Extensions.Storage.Blobs).
BLOB_SOURCE = "AzureStorageBlobs"
MODEL_BINDING_DATA = "model_binding_data"


@dataclass(frozen=True)
class ModelBindingData:
    """The host's `ModelBindingData` message, with the fields the extensions read."""

    version: str
    source: str
    content_type: str
    content: bytes


def _registry() -> Any:
    try:
        from azurefunctions.extensions.base import get_binding_registry
    except ImportError:  # the extensions are not installed: no SDK types
        return None
    return get_binding_registry()


def sdk_type_of(annotation: Any) -> type | None:
    """A parameter's annotation when it is an SDK type an installed extension binds, else None."""
    registry = _registry()
    if registry is None or not isinstance(annotation, type):
        return None
    return annotation if registry.check_supported_type(annotation) else None


def blob_binding_data(connection: str, container: str, blob: str) -> Any:
    """The trigger's input for an SDK-typed blob parameter: where the blob is, never its content."""
    from azurefunctions.extensions.base import Datum

    content = json.dumps({"Connection": connection, "ContainerName": container, "BlobName": blob})
    data = ModelBindingData("1.0", BLOB_SOURCE, "application/json", content.encode())
    return Datum(data, MODEL_BINDING_DATA)


def decode(binding_type: str, data: Any, metadata: Mapping[str, Any], pytype: type) -> Any:
    """The client, built by the extension registered for `binding_type` (e.g. `blobTrigger`)."""
    converter = _registry().get(binding_type)
    if converter is None:
        raise ValueError(f"no installed extension binds {pytype.__name__} to a {binding_type} parameter")
    return converter.decode(data, trigger_metadata=metadata, pytype=pytype)
