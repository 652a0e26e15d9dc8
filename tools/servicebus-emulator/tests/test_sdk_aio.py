"""Conformance: the same behaviours through the SDK's asyncio API (azure.servicebus.aio)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.servicebus import ServiceBusMessage, ServiceBusReceivedMessage, ServiceBusReceiveMode
from azure.servicebus.aio import ServiceBusClient
from azure.servicebus.exceptions import (
    MessageLockLostError,
    MessageSizeExceededError,
    MessagingEntityNotFoundError,
)

pytestmark = [pytest.mark.emulator, pytest.mark.integration]

FAST = {"LockDuration": "PT2S", "MaxDeliveryCount": 2}


def _client(emulator: Any) -> ServiceBusClient:
    return ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0)


async def receive(receiver: Any, count: int, timeout: float = 10.0) -> list[ServiceBusReceivedMessage]:
    got: list[ServiceBusReceivedMessage] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(got) < count and loop.time() < deadline:
        got += await receiver.receive_messages(max_message_count=count - len(got), max_wait_time=1)
    return got


def test_aio_settlements(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})

    async def scenario() -> None:
        async with _client(emulator) as client:
            async with client.get_queue_sender(entity) as sender:
                batch = await sender.create_message_batch()
                for name in ("complete", "abandon", "defer", "dead"):
                    batch.add_message(ServiceBusMessage(name))
                await sender.send_messages(batch)
                await sender.send_messages(ServiceBusMessage("single", message_id="s-1"))
            async with client.get_queue_receiver(entity) as receiver:
                done, abandon, defer, dead, single = await receive(receiver, 5)
                assert [m.sequence_number for m in (done, abandon, defer, dead, single)] == [1, 2, 3, 4, 5]
                await receiver.complete_message(done)
                await receiver.abandon_message(abandon)
                await receiver.defer_message(defer)
                await receiver.dead_letter_message(dead, reason="Bad", error_description="very bad")
                await receiver.complete_message(single)
                (again,) = await receive(receiver, 1)
                assert str(again) == "abandon" and again.delivery_count == 1
                await receiver.complete_message(again)
                (deferred,) = await receiver.receive_deferred_messages([defer.sequence_number])
                await receiver.complete_message(deferred)
                assert await receiver.peek_messages(max_message_count=5) == []
            async with client.get_queue_receiver(f"{entity}/$DeadLetterQueue") as dlq:
                (dead_letter,) = await receive(dlq, 1)
                assert dead_letter.dead_letter_reason == "Bad"
                assert dead_letter.dead_letter_error_description == "very bad"
                await dlq.complete_message(dead_letter)

    asyncio.run(scenario())


def test_aio_locks_peek_schedule_receive_and_delete(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: {"LockDuration": "PT4S", "MaxDeliveryCount": 2}})  # wide margins

    async def scenario() -> None:
        async with _client(emulator) as client:
            async with client.get_queue_sender(entity) as sender:
                await sender.send_messages([ServiceBusMessage("renew"), ServiceBusMessage("expire")])
                at = datetime.now(UTC) + timedelta(seconds=1)
                (cancelled,) = await sender.schedule_messages(ServiceBusMessage("cancelled"), at)
                await sender.cancel_scheduled_messages(cancelled)
                await sender.schedule_messages(ServiceBusMessage("scheduled"), at)
            async with client.get_queue_receiver(entity) as receiver:
                assert [str(m) for m in await receiver.peek_messages(max_message_count=5)] == [
                    "renew", "expire", "scheduled"]
                renew, expire = await receive(receiver, 2)
                await asyncio.sleep(2.0)
                await receiver.renew_message_lock(renew)
                await asyncio.sleep(2.5)
                await receiver.complete_message(renew)
                with pytest.raises(MessageLockLostError):
                    await receiver.complete_message(expire)
            async with client.get_queue_receiver(
                    entity, receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as deleting:
                got = sorted(str(m) for m in await receive(deleting, 2))
                assert got == ["expire", "scheduled"]

    asyncio.run(scenario())


def test_aio_topic_and_errors(make_emulator: Callable[..., Any], entity: str) -> None:
    topic = {"Name": entity, "Subscriptions": [{"Name": "sub", "Rules": [{"Name": "r", "Properties": {
        "FilterType": "Sql", "SqlFilter": {"SqlExpression": "amount >= 100"}}}]}]}
    emulator = make_emulator(topics=[topic], max_message_size=8 * 1024)

    async def scenario() -> None:
        async with _client(emulator) as client:
            async with client.get_topic_sender(entity) as sender:
                await sender.send_messages([ServiceBusMessage("small", application_properties={"amount": 5}),
                                            ServiceBusMessage("big", application_properties={"amount": 500})])
                with pytest.raises(MessageSizeExceededError):
                    await sender.send_messages(ServiceBusMessage("x" * 10_000))
            async with client.get_subscription_receiver(entity, "sub") as receiver:
                (message,) = await receive(receiver, 1)
                assert str(message) == "big"
                await receiver.complete_message(message)
            with pytest.raises(MessagingEntityNotFoundError):
                async with client.get_subscription_receiver(entity, "missing") as missing:
                    await missing.receive_messages(max_message_count=1, max_wait_time=1)

    asyncio.run(scenario())
