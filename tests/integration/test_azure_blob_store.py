"""The BlobStore adapter against real Azurite through the official SDK: conditional create, ETag
delete, streaming reads, staged writes, listing, and the terminal-state invariant over real storage."""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobServiceClient

from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.connections import PIECE
from shared.handlers import registry
from shared.ports import BlobAlreadyExists, BlobChanged, BlobContent, BlobNotFound
from tests.fakes import FakeClock

pytestmark = pytest.mark.integration


@pytest.fixture
def store(blob_service: BlobServiceClient) -> AzureBlobStore:
    return AzureBlobStore(blob_service)


def test_write_creates_the_container_and_read_returns_bytes_and_etag(
    store: AzureBlobStore, container: str
) -> None:
    etag = store.write(container, "a/b.json", b'{"x": 1}')
    content = store.read_with_etag(container, "a/b.json")
    assert content.data == b'{"x": 1}' and content.etag == etag
    assert store.exists(container, "a/b.json") and not store.exists(container, "a/c.json")


def test_create_if_absent_refuses_a_second_writer(store: AzureBlobStore, container: str) -> None:
    store.write(container, "registry/x.json", b"first", overwrite=False)
    with pytest.raises(BlobAlreadyExists):
        store.write(container, "registry/x.json", b"second", overwrite=False)
    assert store.read(container, "registry/x.json") == b"first"


def test_delete_is_idempotent_and_honours_if_match(store: AzureBlobStore, container: str) -> None:
    old = store.write(container, "f.csv", b"v1")
    store.write(container, "f.csv", b"v2")
    with pytest.raises(BlobChanged):
        store.delete(container, "f.csv", if_match=old)
    current = store.read_with_etag(container, "f.csv").etag
    assert (
        store.delete(container, "f.csv", if_match=current.strip('"')) is True
    )  # unquoted, as in poison notices
    assert store.delete(container, "f.csv") is False
    with pytest.raises(BlobNotFound):
        store.read(container, "f.csv")


def test_streaming_read_of_a_multi_chunk_blob(store: AzureBlobStore, container: str) -> None:
    data = os.urandom(2 * PIECE + 12345)  # several download ranges, not one buffered GET
    store.write(container, "big.bin", io.BytesIO(data))
    reader = store.open_reader(container, "big.bin")
    digest, size = hashlib.sha256(), 0
    while chunk := reader.stream.read(64 * 1024):
        digest.update(chunk)
        size += len(chunk)
    assert (size, reader.size) == (len(data), len(data))
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_iterable_write_and_listing_by_prefix(store: AzureBlobStore, container: str) -> None:
    for name in ("t/f1/events/2.json", "t/f1/events/1.json", "t/f2/events/1.json", "other.json"):
        store.write(container, name, iter([b"{", b"}"]))
    assert list(store.list_names(container, "t/f1/")) == ["t/f1/events/1.json", "t/f1/events/2.json"]
    assert store.read(container, "other.json") == b"{}"
    assert list(store.list_names("no-such-container-here", "")) == []


def test_missing_blob_is_blob_not_found(store: AzureBlobStore, container: str) -> None:
    with pytest.raises(BlobNotFound):
        store.open_reader(container, "nope")
    with pytest.raises(BlobNotFound):
        store.read_with_etag(container, "nope")


def test_racing_registry_claims_have_exactly_one_winner(store: AzureBlobStore, container: str) -> None:
    clock = FakeClock()

    def claim(n: int) -> str | None:
        return registry.claim(
            store, clock, sender="s", fingerprint="c" * 64, file_id=f"f{n}", blob_name=f"s/{n}"
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        owners = list(pool.map(claim, range(6)))
    winners = [n for n, owner in enumerate(owners) if owner is None]
    assert len(winners) == 1
    assert all(owner == f"f{winners[0]}" for owner in owners if owner is not None)


@pytest.mark.parametrize("change", ["overwrite", "delete"])
def test_a_blob_changed_mid_read_raises_blob_changed_not_the_other_version(
    store: AzureBlobStore, container: str, change: str
) -> None:
    """The reader is pinned to the version it opened (the validator's overwrite policy rests on it)."""
    store.write(container, "big.csv", b"a" * (2 * PIECE + 10))
    reader = store.open_reader(container, "big.csv")
    assert reader.stream.read(1024) == b"a" * 1024
    if change == "overwrite":
        store.write(container, "big.csv", b"b" * 100)
    else:
        store.delete(container, "big.csv")
    with pytest.raises(BlobChanged):
        reader.stream.read()


def test_a_staged_writer_is_invisible_until_committed_and_abort_keeps_the_old_version(
    blob_service: BlobServiceClient, container: str
) -> None:
    """Blocks of 1 KiB here, so a 10 KiB blob is ten staged blocks and a block list."""
    store = AzureBlobStore(blob_service, single_put_size=1024)
    data = os.urandom(10 * 1024 + 7)
    writer = store.open_writer(container, "out/big.xml")
    for start in range(0, len(data), 3000):
        writer.write(data[start : start + 3000])
    assert not store.exists(container, "out/big.xml")  # staged blocks are nobody's to read
    etag = writer.commit()
    assert store.read_with_etag(container, "out/big.xml") == BlobContent(data, etag)
    writer.abort()  # after commit: nothing happens
    assert store.read(container, "out/big.xml") == data

    second = store.open_writer(container, "out/big.xml")
    second.write(os.urandom(5000))
    second.abort()
    assert store.read_with_etag(container, "out/big.xml") == BlobContent(data, etag)


def test_two_staged_writers_of_one_blob_never_mix_their_bytes(
    blob_service: BlobServiceClient, container: str
) -> None:
    """A redelivery racing its original: the same bytes commit twice; other bytes lose their blocks."""
    store = AzureBlobStore(blob_service, single_put_size=1024)
    data, other = os.urandom(4096 + 10), os.urandom(4096 + 10)
    first, same, different = (store.open_writer(container, "race.xml") for _ in range(3))
    for writer, content in ((first, data), (same, data), (different, other)):
        writer.write(content)
    first.commit()
    same.commit()  # finds the first writer's committed blocks, which are its own bytes
    assert store.read(container, "race.xml") == data
    with pytest.raises(HttpResponseError):
        different.commit()  # its blocks were discarded by the commits
    assert store.read(container, "race.xml") == data


def test_a_small_staged_write_is_one_put(store: AzureBlobStore, container: str) -> None:
    writer = store.open_writer(container, "small.json")
    writer.write(b'{"a":')
    writer.write(b"1}")
    assert writer.commit() == store.etag(container, "small.json")
    assert store.read(container, "small.json") == b'{"a":1}'
