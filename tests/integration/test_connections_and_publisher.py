"""The connection-setting convention (real SDK clients built from each form) and the Service Bus
publisher against our emulator, received back with the official azure-servicebus SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from azure.servicebus import ServiceBusClient

from localdev.stack.azurite import AzuriteProcess
from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.azure_servicebus import ServiceBusPublisher
from shared.adapters.connections import (
    POOL_SIZE,
    blob_service_client,
    resolve_service_bus,
    resolve_storage,
    service_bus_client,
    table_service_client,
    transport_options,
)
from shared.ports import OutgoingMessage
from shared.settings import ConfigurationError
from shared.topology import CONFIG_PATH, FILE_FAILED_TOPIC, FILE_VALIDATED_QUEUE

pytestmark = pytest.mark.integration
EMULATOR = "Endpoint=sb://localhost:5672;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"


def test_storage_connection_string_reaches_azurite(azurite: AzuriteProcess) -> None:
    store = AzureBlobStore(
        blob_service_client("PaymentsStorage", {"PaymentsStorage": azurite.connection_string})
    )
    store.write("conn-test", "x.txt", b"ok")
    assert store.read("conn-test", "x.txt") == b"ok"


@pytest.mark.parametrize(
    ("environ", "options"),
    [
        ({}, {"use_env_settings": False}),
        ({"REQUESTS_CA_BUNDLE": "/ca.pem"}, {"use_env_settings": False, "connection_verify": "/ca.pem"}),
        ({"CURL_CA_BUNDLE": "/c.pem"}, {"use_env_settings": False, "connection_verify": "/c.pem"}),
        ({"HTTPS_PROXY": "http://proxy:3128", "REQUESTS_CA_BUNDLE": "/ca.pem"}, {}),
        ({"no_proxy": "localhost"}, {}),
        ({"NETRC": "/n"}, {}),
    ],
)
def test_transport_reads_the_environment_per_request_only_when_it_holds_proxy_settings(
    environ: dict[str, str], options: dict[str, object]
) -> None:
    assert transport_options(environ) == options
    client = blob_service_client("S", {"S": "UseDevelopmentStorage=true", **environ})
    transport = client._pipeline._transport  # what the SDK built from our keywords
    assert transport._use_env_settings is (options == {})
    assert transport.session.trust_env is (options == {})  # requests reads the environment only then
    assert transport.connection_config.verify == options.get("connection_verify", True)


def test_each_storage_client_pools_enough_connections_for_the_threads_that_share_it() -> None:
    environ = {"S": "UseDevelopmentStorage=true"}
    for client in (blob_service_client("S", environ), table_service_client("S", environ)):
        adapter = client._client._client._pipeline._transport.session.get_adapter("https://x")
        assert adapter._pool_maxsize == POOL_SIZE and adapter.max_retries.total is False


@pytest.mark.parametrize(
    ("environ", "endpoint", "client_id"),
    [
        ({"S__accountName": "acct", "S__clientId": "cid"}, "https://acct.blob.core.windows.net", "cid"),
        (
            {"S__blobServiceUri": "https://acct.blob.core.windows.net/"},
            "https://acct.blob.core.windows.net",
            None,
        ),
        ({"S__serviceUri": "https://x.example"}, "https://x.example", None),
    ],
)
def test_identity_based_storage_settings(
    environ: dict[str, str], endpoint: str, client_id: str | None
) -> None:
    target = resolve_storage("S", environ)
    assert (target.connection_string, target.endpoint, target.client_id) == (None, endpoint, client_id)
    assert blob_service_client("S", environ).url.rstrip("/") == endpoint  # built, not connected


def test_storage_development_shortcut_and_bad_values() -> None:
    assert (
        resolve_storage("S", {"S": "UseDevelopmentStorage=true"}).connection_string
        == "UseDevelopmentStorage=true"
    )
    with pytest.raises(
        ConfigurationError, match="setting S is not set: set S to a storage connection string"
    ):
        resolve_storage("S", {})
    with pytest.raises(ConfigurationError, match="S does not hold a storage connection string"):
        resolve_storage("S", {"S": "https://acct.blob.core.windows.net"})


def test_service_bus_settings() -> None:
    assert resolve_service_bus("SB", {"SB": EMULATOR}).connection_string == EMULATOR
    target = resolve_service_bus(
        "SB", {"SB__fullyQualifiedNamespace": "ns.servicebus.windows.net", "SB__clientId": "c"}
    )
    assert (target.endpoint, target.client_id) == ("ns.servicebus.windows.net", "c")
    assert service_bus_client("SB", {"SB__fullyQualifiedNamespace": "ns.servicebus.windows.net"})
    with pytest.raises(ConfigurationError, match="SB__fullyQualifiedNamespace"):
        resolve_service_bus("SB", {})
    with pytest.raises(ConfigurationError, match="does not hold a Service Bus connection string"):
        resolve_service_bus("SB", {"SB": "sb://ns/"})


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    testing = pytest.importorskip("servicebus_emulator.testing")
    with testing.ThreadedEmulator(CONFIG_PATH) as running:
        yield running.connection_string


def test_publisher_sets_ids_and_application_properties(emulator: str) -> None:
    publisher = ServiceBusPublisher(lambda: ServiceBusClient.from_connection_string(emulator))
    message = OutgoingMessage(
        body=b'{"k": 1}',
        message_id="f.x.0000000a:validated",
        correlation_id="f.x.0000000a",
        subject="file.validated",
        application_properties={
            "type": "file.validated",
            "schema_version": 1,
        },
    )
    try:
        publisher.publish(FILE_VALIDATED_QUEUE, message)
        publisher.publish(
            FILE_FAILED_TOPIC,
            OutgoingMessage(
                body=b"{}",
                message_id="m2",
                correlation_id="c",
                subject="file.failed",
                application_properties={"compensate": "validator"},
            ),
        )
    finally:
        publisher.close()
    with (
        ServiceBusClient.from_connection_string(emulator) as client,
        client.get_queue_receiver(FILE_VALIDATED_QUEUE, max_wait_time=10) as receiver,
    ):
        received = receiver.receive_messages(max_message_count=1, max_wait_time=10)
        assert received, "the published message never arrived"
        got = received[0]
        receiver.complete_message(got)
    props = {
        k.decode() if isinstance(k, bytes) else k: v for k, v in (got.application_properties or {}).items()
    }
    assert (got.message_id, got.correlation_id, got.subject) == (
        message.message_id,
        "f.x.0000000a",
        "file.validated",
    )
    assert got.content_type == "application/json"
    assert props["type"] in ("file.validated", b"file.validated") and props["schema_version"] == 1
    assert json.loads(b"".join(got.body)) == {"k": 1}
    with (
        ServiceBusClient.from_connection_string(emulator) as client,
        client.get_subscription_receiver(
            FILE_FAILED_TOPIC, "validator-compensation", max_wait_time=10
        ) as receiver,
    ):
        routed = receiver.receive_messages(max_message_count=1, max_wait_time=10)
        assert [m.message_id for m in routed] == ["m2"]
        receiver.complete_message(routed[0])
