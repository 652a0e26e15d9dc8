"""Service Bus triggers through the devhost against our emulator and Azurite, with the official SDK."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from azurite_launcher import Azurite
from devhost_fixtures import QueueWatcher, copy_app, start_devhost
from functions_devhost.testing import DevhostProcess
from servicebus_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def host(
    azurite: Azurite, emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevhostProcess]:
    folder = tmp_path_factory.mktemp("sbapp")
    process = start_devhost(
        copy_app("servicebus", folder), azurite, folder, FixtureServiceBus=emulator.connection_string
    )
    yield process
    process.stop()


@pytest.fixture(scope="module")
def seen(azurite: Azurite) -> QueueWatcher:
    return QueueWatcher(azurite.connection_string, "fx-sb-seen")


def send(emulator: EmulatorProcess, entity: str, body: str, **props: str) -> str:
    message_id = uuid.uuid4().hex
    with (
        ServiceBusClient.from_connection_string(emulator.connection_string) as client,
        client.get_queue_sender(entity)
        if entity != "fx-topic"
        else client.get_topic_sender(entity) as sender,
    ):
        sender.send_messages(
            ServiceBusMessage(
                body,
                message_id=message_id,
                correlation_id=f"file-{message_id}",
                application_properties=props or None,
                subject="fx.test",
                content_type="application/json",
            )
        )
    return message_id


def test_queue_message_arrives_with_the_hosts_metadata_and_is_completed(
    host: DevhostProcess, emulator: EmulatorProcess, seen: QueueWatcher
) -> None:
    message_id = send(emulator, "fx-sb", '{"ok": true}', type="fx.test", schema_version="1")
    report = seen.wait_for(lambda r: r["message_id"] == message_id)
    assert report["fn"] == "SbWork" and report["body"] == '{"ok": true}'
    assert report["correlation_id"] == f"file-{message_id}" and report["delivery_count"] == 1
    assert report["application_properties"] == {"type": "fx.test", "schema_version": "1"}
    assert report["user_properties"] == report["application_properties"]
    assert report["subject"] == "fx.test" and report["content_type"] == "application/json"
    assert report["sequence_number"] is not None and report["enqueued_time_utc"] is not None
    log = Path(host.log_path).read_text()
    assert f"[file=file-{message_id}]" in log


def test_failing_message_is_abandoned_to_max_delivery_then_the_dlq_trigger_runs(
    host: DevhostProcess, emulator: EmulatorProcess, seen: QueueWatcher
) -> None:
    message_id = send(emulator, "fx-sb", "please fail")
    report = seen.wait_for(lambda r: r["message_id"] == message_id, timeout=30)
    assert report["fn"] == "SbDeadLetters" and report["dead_letter_reason"] == "MaxDeliveryCountExceeded"
    log = Path(host.log_path).read_text()
    assert log.count(f"Result: Failure Exception: RuntimeError: fixture failure for {message_id}") == 3


def test_topic_subscription_runs_an_async_function(
    host: DevhostProcess, emulator: EmulatorProcess, seen: QueueWatcher
) -> None:
    message_id = send(emulator, "fx-topic", "to the topic")
    assert seen.wait_for(lambda r: r["message_id"] == message_id)["fn"] == "SbTopic"


def test_environment_is_not_leaked() -> None:
    assert "FixtureServiceBus" not in os.environ


def test_lock_is_renewed_while_a_slow_function_runs(
    host: DevhostProcess, emulator: EmulatorProcess, seen: QueueWatcher
) -> None:
    message_id = send(emulator, "fx-slow", "slow")
    report = seen.wait_for(lambda r: r["message_id"] == message_id, timeout=30)
    assert report["fn"] == "SbSlow" and report["delivery_count"] == 1
    log = Path(host.log_path).read_text()
    assert log.count("Executing 'Functions.SbSlow'") == 1, "the lock expired and the message was redelivered"
    assert "could not complete" not in log
