"""`AzureBlobStore.etag` against Azurite: the version of a blob from one HEAD, as the writer saw it, and
`BlobNotFound` for a missing one (the reconciler looks at `incoming/` without downloading files)."""

from __future__ import annotations

import pytest
from azure.storage.blob import BlobServiceClient

from shared.adapters.azure_blob import AzureBlobStore
from shared.ports import BlobNotFound

pytestmark = pytest.mark.integration


def test_etag_is_the_writers_and_a_missing_blob_is_not_found(blob_service: BlobServiceClient,
                                                              container: str) -> None:
    store = AzureBlobStore(blob_service)
    written = store.write(container, "big.csv", b"x" * 1024)
    assert store.etag(container, "big.csv") == written
    with pytest.raises(BlobNotFound):
        store.etag(container, "missing.csv")
