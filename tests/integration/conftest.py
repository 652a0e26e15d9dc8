"""Integration fixtures: one real Azurite per test session (in memory, free loopback ports)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from localdev.stack.azurite import AzuriteProcess
from shared.adapters.connections import blob_service_client, table_service_client


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteProcess]:
    process = AzuriteProcess(tmp_path_factory.mktemp("azurite"), in_memory=True)
    process.start_and_wait()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def blob_service(azurite: AzuriteProcess) -> BlobServiceClient:
    """Built exactly as the app builds it, from a `PaymentsStorage`-style setting."""
    return blob_service_client("PaymentsStorage", {"PaymentsStorage": azurite.connection_string})


@pytest.fixture
def table_service(azurite: AzuriteProcess) -> TableServiceClient:
    """The same account's Table endpoint, built as the app builds it (the payment index)."""
    return table_service_client("PaymentsStorage", {"PaymentsStorage": azurite.connection_string})


@pytest.fixture
def container() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"
