"""SDK-type trigger parameters: which annotations the devhost binds to a client, and the client it builds."""

from __future__ import annotations

import azure.functions as func
import pytest
from azurefunctions.extensions.bindings.blob import BlobClient, ContainerClient
from functions_devhost import sdk_types


def test_only_an_extensions_client_type_is_an_sdk_type() -> None:
    assert sdk_types.sdk_type_of(BlobClient) is BlobClient
    assert sdk_types.sdk_type_of(ContainerClient) is ContainerClient
    assert sdk_types.sdk_type_of(func.InputStream) is None
    assert sdk_types.sdk_type_of(None) is None


def test_the_client_comes_from_the_model_binding_data_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FixtureStorage", "UseDevelopmentStorage=true")
    data = sdk_types.blob_binding_data("FixtureStorage", "fx-in", "acme/a.csv")
    client = sdk_types.decode("blobTrigger", data, {}, BlobClient)
    assert (client.container_name, client.blob_name) == ("fx-in", "acme/a.csv")
    assert client.url.startswith("http://127.0.0.1:10000/devstoreaccount1/fx-in/")


def test_a_missing_connection_setting_is_the_extensions_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NoSuchStorage", raising=False)
    data = sdk_types.blob_binding_data("NoSuchStorage", "fx-in", "a.csv")
    with pytest.raises(ValueError, match="NoSuchStorage does not exist"):
        sdk_types.decode("blobTrigger", data, {}, BlobClient)
