"""The payment index's connection: the PaymentsStorage setting's Table endpoint, resolved like the others."""

from __future__ import annotations

import pytest

from shared.adapters.connections import resolve_table, table_service_client
from shared.settings import ConfigurationError

pytestmark = pytest.mark.unit


def test_identity_settings_give_the_accounts_table_endpoint() -> None:
    by_uri = resolve_table("PaymentsStorage", {"PaymentsStorage__tableServiceUri": "https://st.table.core.windows.net/",
                                               "PaymentsStorage__clientId": "id-1"})
    assert (by_uri.endpoint, by_uri.client_id) == ("https://st.table.core.windows.net", "id-1")
    by_name = resolve_table("PaymentsStorage", {"PaymentsStorage__accountName": "st"})
    assert by_name.endpoint == "https://st.table.core.windows.net" and by_name.connection_string is None


@pytest.mark.parametrize("value", [
    "UseDevelopmentStorage=true",
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    "BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;TableEndpoint=http://127.0.0.1:3/devstoreaccount1;",
    "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a2V5;EndpointSuffix=core.windows.net",
])
def test_connection_strings_that_reach_a_table_endpoint_build_a_client(value: str) -> None:
    assert table_service_client("PaymentsStorage", {"PaymentsStorage": value}).url


def test_a_connection_string_without_a_table_endpoint_names_the_setting() -> None:
    value = "BlobEndpoint=https://st.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=x"
    with pytest.raises(ConfigurationError, match="setting PaymentsStorage has no TableEndpoint"):
        table_service_client("PaymentsStorage", {"PaymentsStorage": value})


def test_nothing_set_names_the_table_setting() -> None:
    with pytest.raises(ConfigurationError, match="PaymentsStorage__tableServiceUri"):
        resolve_table("PaymentsStorage", {})
