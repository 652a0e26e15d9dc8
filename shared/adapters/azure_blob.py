"""`BlobStore` over azure-storage-blob's `BlobServiceClient`, mapping SDK errors to the port's.

Reads stream through `download_blob().chunks()` (the SDK pins every chunk to the first response's
ETag, so a reader never mixes two versions), the next chunk downloading while one is read; big outputs
go through `open_writer`, which stages blocks while they are produced (shared.adapters.azure_staged).
Containers are created on first write per process, which keeps a fresh Azurite or storage account
working without a setup step.
"""

from __future__ import annotations

import contextlib
import functools
import io
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from shared.adapters.azure_staged import StagedBlobWriter
from shared.ports import (
    BlobAlreadyExists,
    BlobChanged,
    BlobContent,
    BlobData,
    BlobNotFound,
    StreamedBlob,
)
from shared.streams import read_ahead, stream_from_chunks


def quoted(etag: str) -> str:
    """The storage service's own spelling (`"0x…"`); ETags reach us with and without quotes."""
    bare = etag.strip().removeprefix("W/").strip('"')
    return f'"{bare}"'


# The size up to which a seekable stream is uploaded as bytes in one request: the client's own
# `max_single_put_size` (shared.adapters.connections.PIECE), below which the SDK reads it whole anyway.
SINGLE_PUT = 4 * 1024 * 1024
BLOB_CLIENTS = 1024  # recently used BlobClients kept per store (they hold no connection of their own)


def _pinned(chunks: Iterator[bytes], where: str) -> Iterator[bytes]:
    """The SDK asks for every later range with If-Match on the first response's ETag: a blob replaced
    or deleted mid-read fails the next range. Reported as the port's `BlobChanged`, never as SDK types."""
    try:
        yield from chunks
    except (ResourceModifiedError, ResourceNotFoundError):
        raise BlobChanged(f"{where} was replaced or deleted while it was being read") from None


class AzureBlobStore:
    def __init__(self, service: BlobServiceClient, single_put_size: int = SINGLE_PUT) -> None:
        self._service = service
        self._single_put = single_put_size
        self._ready: set[str] = set()
        self._lock = threading.Lock()
        # Building a BlobClient costs about as much CPU as a twentieth of a request; a file's steps reuse
        # a few names (terminal.json, the incoming blob), so recent clients are kept.
        self._blob = functools.lru_cache(maxsize=BLOB_CLIENTS)(self._new_blob)

    def _new_blob(self, container: str, name: str) -> Any:
        return self._service.get_blob_client(container, name)

    def read(self, container: str, name: str) -> bytes:
        return self.read_with_etag(container, name).data

    def read_with_etag(self, container: str, name: str) -> BlobContent:
        try:
            downloader = self._blob(container, name).download_blob()
            return BlobContent(downloader.readall(), downloader.properties.etag)
        except ResourceNotFoundError:
            raise BlobNotFound(f"{container}/{name}") from None

    def open_reader(self, container: str, name: str) -> StreamedBlob:
        try:
            downloader = self._blob(container, name).download_blob()
        except ResourceNotFoundError:
            raise BlobNotFound(f"{container}/{name}") from None
        return StreamedBlob(
            stream_from_chunks(_pinned(read_ahead(downloader.chunks()), f"{container}/{name}")),
            downloader.properties.etag, downloader.size,
        )

    def write(self, container: str, name: str, data: BlobData, *, overwrite: bool = True,
              if_match: str | None = None) -> str:
        self._ensure_container(container)
        data, length = self._sized(data)
        condition: dict[str, Any] = {}
        if if_match is not None:
            condition = {"etag": quoted(if_match), "match_condition": MatchConditions.IfNotModified}
        try:
            result = self._blob(container, name).upload_blob(data, length=length, overwrite=overwrite,
                                                             **condition)
        except ResourceExistsError:
            raise BlobAlreadyExists(f"{container}/{name}") from None
        except (ResourceModifiedError, ResourceNotFoundError):
            raise BlobChanged(f"{container}/{name} changed since ETag {if_match}") from None
        return str(result["etag"])

    def open_writer(self, container: str, name: str) -> StagedBlobWriter:
        self._ensure_container(container)
        return StagedBlobWriter(self._blob(container, name), self._single_put)

    def _sized(self, data: BlobData) -> tuple[BlobData, int | None]:
        """A seekable stream's remaining length, so the SDK makes one Put Blob request (not blocks) when
        it fits one, and small streams as bytes: the SDK would otherwise ask a SpooledTemporaryFile for
        its `fileno()`, which moves an in-memory spool to disk first. Other streams pass as they are."""
        if isinstance(data, bytes | bytearray):
            return data, len(data)
        seekable = getattr(data, "seekable", None)
        if seekable is None or not seekable():
            return data, None
        stream = cast(BinaryIO, data)
        here = stream.tell()
        length = stream.seek(0, io.SEEK_END) - here
        stream.seek(here)
        if length <= self._single_put:
            return stream.read(length), length
        return stream, length

    def delete(self, container: str, name: str, *, if_match: str | None = None) -> bool:
        condition: dict[str, Any] = {}
        if if_match is not None:
            condition = {"etag": quoted(if_match), "match_condition": MatchConditions.IfNotModified}
        try:
            self._blob(container, name).delete_blob(delete_snapshots="include", **condition)
        except ResourceNotFoundError:
            return False
        except ResourceModifiedError:
            raise BlobChanged(f"{container}/{name} changed since ETag {if_match}") from None
        return True

    def list_names(self, container: str, prefix: str = "") -> Iterator[str]:
        client = self._service.get_container_client(container)
        try:
            yield from client.list_blob_names(name_starts_with=prefix or None)
        except ResourceNotFoundError:
            return

    def etag(self, container: str, name: str) -> str:
        try:
            return str(self._blob(container, name).get_blob_properties().etag)
        except ResourceNotFoundError:
            raise BlobNotFound(f"{container}/{name}") from None

    def exists(self, container: str, name: str) -> bool:
        return bool(self._blob(container, name).exists())

    def _ensure_container(self, container: str) -> None:
        if container in self._ready:
            return
        with self._lock:
            with contextlib.suppress(ResourceExistsError):
                self._service.create_container(container)
            self._ready.add(container)
