"""Conformance: topics, subscription filters and subscription dead-letter queues with the real SDK."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage

pytestmark = [pytest.mark.emulator, pytest.mark.integration]

URGENT_INVOICES = "sys.Label = 'invoice' AND (priority > 5 OR region IN ('EU', 'UK'))"
SUB_PROPS = {"LockDuration": "PT5S", "MaxDeliveryCount": 3}


def _rule(name: str, **properties: Any) -> dict[str, Any]:
    return {"Name": name, "Properties": properties}


def _topic(name: str) -> dict[str, Any]:
    return {"Name": name, "Properties": {}, "Subscriptions": [
        {"Name": "all", "Properties": SUB_PROPS},
        {"Name": "red", "Properties": SUB_PROPS, "Rules": [_rule(
            "red", FilterType="Correlation", CorrelationFilter={"Properties": {"colour": "red"}})]},
        {"Name": "urgent-invoices", "Properties": SUB_PROPS, "Rules": [_rule(
            "sql", FilterType="Sql",
            SqlFilter={"SqlExpression": URGENT_INVOICES})]},
    ]}


def _drain(client: ServiceBusClient, topic: str, sub: str, count: int) -> list[str]:
    with client.get_subscription_receiver(topic, sub) as receiver:
        got: list[str] = []
        for _ in range(5):
            batch = receiver.receive_messages(max_message_count=count - len(got) or 1, max_wait_time=1)
            for message in batch:
                got.append(str(message))
                receiver.complete_message(message)
            if len(got) >= count:
                break
        extra = receiver.receive_messages(max_message_count=1, max_wait_time=1)
        got += [str(m) for m in extra]
        return sorted(got)


def test_fan_out_with_correlation_and_sql_filters(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator(topics=[_topic(entity)])
    with ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0) as client:
        with client.get_topic_sender(entity) as sender:
            sender.send_messages([
                ServiceBusMessage("red-note", application_properties={"colour": "red"}, subject="note"),
                ServiceBusMessage("eu-invoice", application_properties={"region": "EU", "priority": 1},
                                  subject="invoice"),
                ServiceBusMessage("hot-invoice", application_properties={"priority": 9}, subject="invoice"),
                ServiceBusMessage("cold-invoice", application_properties={"priority": 1}, subject="invoice"),
            ])
        assert _drain(client, entity, "all", 4) == ["cold-invoice", "eu-invoice", "hot-invoice", "red-note"]
        assert _drain(client, entity, "red", 1) == ["red-note"]
        assert _drain(client, entity, "urgent-invoices", 2) == ["eu-invoice", "hot-invoice"]


def test_subscription_dead_letter_queue(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator(topics=[_topic(entity)])
    with ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0) as client:
        with client.get_topic_sender(entity) as sender:
            sender.send_messages(ServiceBusMessage("doomed", application_properties={"colour": "red"}))
        with client.get_subscription_receiver(entity, "red") as receiver:
            (message,) = receiver.receive_messages(max_message_count=1, max_wait_time=5)
            receiver.dead_letter_message(message, reason="Compensation", error_description="gave up")
        address = f"{entity}/Subscriptions/red/$DeadLetterQueue"
        with client.get_queue_receiver(address) as dlq:  # the raw address form, as the reference lists it
            (dead,) = dlq.receive_messages(max_message_count=1, max_wait_time=5)
            assert str(dead) == "doomed" and dead.dead_letter_reason == "Compensation"
            dlq.complete_message(dead)


def test_scheduled_message_on_topic_fans_out_when_due(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator(topics=[_topic(entity)])
    with ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0) as client:
        with client.get_topic_sender(entity) as sender:
            at = datetime.now(UTC) + timedelta(seconds=1)
            sender.schedule_messages(ServiceBusMessage("later", application_properties={"colour": "red"}), at)
        with client.get_subscription_receiver(entity, "red") as receiver:
            (message,) = receiver.receive_messages(max_message_count=1, max_wait_time=5)
            assert str(message) == "later"
            receiver.complete_message(message)
