"""The app's own Service Bus topology (shared/topology/servicebus-config.json) on the emulator package.

These belong to the app, not to the emulator's own suite: they pin our queues' settings and the
`compensate` routing of the `file-failed` topic, through the emulator's public `config` and `testing` modules.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from servicebus_emulator.config import load_namespace
from servicebus_emulator.testing import ThreadedEmulator

from tests.fakes import FakeClock

TOPOLOGY = Path(__file__).resolve().parents[2] / "shared" / "topology" / "servicebus-config.json"


@pytest.mark.emulator
@pytest.mark.unit
def test_our_topology_loads() -> None:
    ns = load_namespace(TOPOLOGY, FakeClock())
    assert set(ns.queues) == {"file-validated", "file-adapted"}
    queue = ns.queues["file-validated"].main.settings
    assert queue.lock_duration == timedelta(minutes=1) and queue.max_delivery_count == 5
    assert queue.requires_duplicate_detection and queue.dead_lettering_on_message_expiration
    assert set(ns.topics["file-failed"].subscriptions) == {"adaptor-compensation", "validator-compensation"}


def _drain(client: ServiceBusClient, topic: str, sub: str, count: int) -> list[str]:
    """Up to `count` bodies from the subscription, then one more look so an extra delivery shows too."""
    with client.get_subscription_receiver(topic, sub) as receiver:
        got: list[str] = []
        for _ in range(5):
            batch = receiver.receive_messages(max_message_count=count - len(got) or 1, max_wait_time=1)
            for message in batch:
                got.append(str(message))
                receiver.complete_message(message)
            if len(got) >= count:
                break
        got += [str(m) for m in receiver.receive_messages(max_message_count=1, max_wait_time=1)]
        return sorted(got)


@pytest.mark.emulator
@pytest.mark.integration
def test_our_topology_routes_compensations() -> None:
    with ThreadedEmulator(TOPOLOGY) as emulator, ServiceBusClient.from_connection_string(
            emulator.connection_string, retry_total=0) as client:
        with client.get_topic_sender("file-failed") as sender:
            sender.send_messages([ServiceBusMessage("a", application_properties={"compensate": "adaptor"}),
                                  ServiceBusMessage("v", application_properties={"compensate": "validator"})])
        assert _drain(client, "file-failed", "adaptor-compensation", 1) == ["a"]
        assert _drain(client, "file-failed", "validator-compensation", 1) == ["v"]
