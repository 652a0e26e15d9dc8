"""Integration fixtures: one real Azurite per test session (in memory, free loopback ports)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.storage.blob import BlobServiceClient

from localdev.azurite import AzuriteProcess


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteProcess]:
    process = AzuriteProcess().start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def blob_service(azurite: AzuriteProcess) -> BlobServiceClient:
    # Retries off: a test should see the first failure, not a slow retried one.
    return BlobServiceClient.from_connection_string(azurite.connection_string, retry_total=0)


@pytest.fixture
def container() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"
