"""Drives the handlers the way the host and Service Bus would, through the fake publisher.

`deliver` turns the oldest message sent to an entity into a `Delivery` (what the trigger gets);
`fail_until_dead_lettered` replays one delivery MaxDeliveryCount times, each raising, and returns the
dead-lettered copy, like the broker does after the last abandon.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from shared.handlers.inbound import Delivery
from shared.ports import OutgoingMessage
from shared.topology import FILE_FAILED_TOPIC, namespace
from tests.fakes import FakePublisher

MAX_DELIVERY = {q["Name"]: q["Properties"]["MaxDeliveryCount"] for q in namespace()["Queues"]}


def as_delivery(message: OutgoingMessage, entity: str, count: int = 1) -> Delivery:
    return Delivery(
        body=message.body,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        delivery_count=count,
        application_properties=dict(message.application_properties),
        entity=entity,
        enqueued_time="2026-11-20T08:00:00Z",
    )


def deliver(publisher: FakePublisher, entity: str) -> Delivery:
    return as_delivery(publisher.take(entity), entity)


def deliver_failed(publisher: FakePublisher, compensate: str) -> Delivery:
    """The next `file.failed` whose `compensate` property routes it to that step's subscription."""
    for index, sent in enumerate(publisher.sent):
        props = sent.message.application_properties
        if sent.entity == FILE_FAILED_TOPIC and props.get("compensate") == compensate:
            return as_delivery(
                publisher.sent.pop(index).message, f"{FILE_FAILED_TOPIC}/{compensate}-compensation"
            )
    raise AssertionError(f"no file.failed with compensate={compensate}: {[s.entity for s in publisher.sent]}")


def fail_until_dead_lettered(
    handler: Callable[[Delivery], Any], delivery: Delivery, error: type[Exception], max_delivery: int
) -> Delivery:
    for attempt in range(1, max_delivery + 1):
        with pytest.raises(error):
            handler(replace(delivery, delivery_count=attempt))
    return replace(
        delivery,
        delivery_count=max_delivery,
        dead_letter_reason="MaxDeliveryCountExceeded",
        dead_letter_error_description="Message could not be consumed after 5 delivery attempts.",
    )


def body_of(message: OutgoingMessage | Delivery) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(message.body)
    return document
