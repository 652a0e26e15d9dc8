"""Conformance: the real azure-servicebus SDK (sync API) against the running emulator, queue features."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.servicebus import (
    ServiceBusClient,
    ServiceBusMessage,
    ServiceBusReceivedMessage,
    ServiceBusReceiveMode,
    ServiceBusSubQueue,
)
from azure.servicebus.exceptions import (
    MessageLockLostError,
    MessageSizeExceededError,
    MessagingEntityNotFoundError,
)

pytestmark = [pytest.mark.emulator, pytest.mark.integration]

FAST = {"LockDuration": "PT5S", "MaxDeliveryCount": 3}


def _client(emulator: Any) -> ServiceBusClient:
    # Retries off: a conformance failure must show up as the first error, not after back-off.
    return ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0)


def receive(receiver: Any, count: int, timeout: float = 10.0) -> list[ServiceBusReceivedMessage]:
    got: list[ServiceBusReceivedMessage] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += receiver.receive_messages(max_message_count=count - len(got), max_wait_time=1)
    return got


def test_send_single_and_batch_then_complete(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages(ServiceBusMessage("one", application_properties={"kind": "single"},
                                                   message_id="m-1", subject="s", correlation_id="c"))
            batch = sender.create_message_batch()
            for i in range(5):
                batch.add_message(ServiceBusMessage(f"batch-{i}"))
            sender.send_messages(batch)
        with client.get_queue_receiver(entity) as receiver:
            messages = receive(receiver, 6)
            assert [str(m) for m in messages] == ["one"] + [f"batch-{i}" for i in range(5)]
            first = messages[0]
            assert first.message_id == "m-1" and first.subject == "s" and first.correlation_id == "c"
            assert first.application_properties == {b"kind": b"single"}
            assert [m.sequence_number for m in messages] == [1, 2, 3, 4, 5, 6]
            assert all(m.delivery_count == 0 for m in messages)
            assert all(m.message_id for m in messages[1:])  # assigned by the broker
            assert first.enqueued_time_utc is not None
            assert abs(first.enqueued_time_utc - datetime.now(UTC)) < timedelta(seconds=30)
            assert first.locked_until_utc is not None and first.locked_until_utc > first.enqueued_time_utc
            for message in messages:
                receiver.complete_message(message)
            assert receiver.peek_messages(max_message_count=10) == []


def test_abandon_redelivers_with_count_and_max_delivery_dead_letters(
        make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: {"LockDuration": "PT5S", "MaxDeliveryCount": 2}})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages(ServiceBusMessage("poison"))
        with client.get_queue_receiver(entity) as receiver:
            (first,) = receive(receiver, 1)
            receiver.abandon_message(first)
            (second,) = receive(receiver, 1)
            assert second.delivery_count == 1 and second.sequence_number == first.sequence_number
            receiver.abandon_message(second)
            assert receiver.receive_messages(max_message_count=1, max_wait_time=1) == []
        with client.get_queue_receiver(entity, sub_queue=ServiceBusSubQueue.DEAD_LETTER) as dlq:
            (dead,) = receive(dlq, 1)
            assert str(dead) == "poison"
            assert dead.dead_letter_reason == "MaxDeliveryCountExceeded"
            dlq.complete_message(dead)


def test_dead_letter_with_reason_and_description(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages(ServiceBusMessage("bad", application_properties={"file": "a.csv"}))
        with client.get_queue_receiver(entity) as receiver:
            (message,) = receive(receiver, 1)
            receiver.dead_letter_message(message, reason="InvalidFile", error_description="row 3: bad IBAN")
        with client.get_queue_receiver(f"{entity}/$DeadLetterQueue") as dlq:
            (dead,) = receive(dlq, 1)
            assert dead.dead_letter_reason == "InvalidFile"
            assert dead.dead_letter_error_description == "row 3: bad IBAN"
            assert dead.application_properties is not None
            assert dead.application_properties[b"file"] == b"a.csv"
            dlq.complete_message(dead)
            assert dlq.peek_messages(max_message_count=5) == []


def test_defer_and_receive_deferred(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages([ServiceBusMessage("later"), ServiceBusMessage("now")])
        with client.get_queue_receiver(entity) as receiver:
            later, now = receive(receiver, 2)
            receiver.defer_message(later)
            receiver.complete_message(now)
            assert receiver.receive_messages(max_message_count=1, max_wait_time=1) == []
            (deferred,) = receiver.receive_deferred_messages([later.sequence_number])
            assert str(deferred) == "later"
            receiver.complete_message(deferred)
            assert receiver.peek_messages(max_message_count=5) == []


def test_receive_and_delete(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages([ServiceBusMessage(f"m{i}") for i in range(3)])
        with client.get_queue_receiver(entity, receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as rd:
            assert sorted(str(m) for m in receive(rd, 3)) == ["m0", "m1", "m2"]
        with client.get_queue_receiver(entity) as receiver:
            assert receiver.peek_messages(max_message_count=5) == []


def test_renew_lock_keeps_the_message_and_expiry_redelivers(
        make_emulator: Callable[..., Any], entity: str) -> None:
    # Generous margins: on a loaded machine one SDK round trip can take most of a second.
    emulator = make_emulator({entity: {"LockDuration": "PT4S", "MaxDeliveryCount": 5}})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages([ServiceBusMessage("renewed"), ServiceBusMessage("expired")])
        with client.get_queue_receiver(entity) as receiver:
            renewed, expired = receive(receiver, 2)
            old_until = renewed.locked_until_utc
            time.sleep(2.0)
            new_until = receiver.renew_message_lock(renewed)
            assert old_until is not None and new_until > old_until
            time.sleep(2.5)  # past the original lock, within the renewed one
            receiver.complete_message(renewed)
            (again,) = receive(receiver, 1)
            assert str(again) == "expired" and again.delivery_count == 1
            with pytest.raises(MessageLockLostError):
                receiver.complete_message(expired)
            receiver.complete_message(again)


def test_peek_does_not_lock(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages([ServiceBusMessage(f"p{i}") for i in range(4)])
        with client.get_queue_receiver(entity) as receiver:
            peeked = receiver.peek_messages(max_message_count=3)
            assert [str(m) for m in peeked] == ["p0", "p1", "p2"]
            more = receiver.peek_messages(max_message_count=3)
            assert [str(m) for m in more] == ["p3"]  # peek continues after the last sequence number
            assert len(receive(receiver, 4)) == 4  # peeked messages were never locked


def test_schedule_and_cancel(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            at = datetime.now(UTC) + timedelta(seconds=4)  # well past the receiver's link set-up
            messages = [ServiceBusMessage("keep"), ServiceBusMessage("drop")]
            keep, cancel = sender.schedule_messages(messages, at)
            sender.cancel_scheduled_messages(cancel)
        with client.get_queue_receiver(entity) as receiver:
            peeked = receiver.peek_messages(max_message_count=5)
            assert [m.sequence_number for m in peeked] == [keep]
            assert receiver.receive_messages(max_message_count=1, max_wait_time=1) == []
            (message,) = receive(receiver, 1, timeout=8)
            assert str(message) == "keep" and message.sequence_number == keep
            assert datetime.now(UTC) >= at - timedelta(milliseconds=100)
            assert message.scheduled_enqueue_time_utc is not None
            receiver.complete_message(message)


def test_ttl_expiry_dead_letters(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: {**FAST, "DeadLetteringOnMessageExpiration": True}})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages(ServiceBusMessage("short", time_to_live=timedelta(seconds=1)))
        time.sleep(1.3)
        with client.get_queue_receiver(entity, sub_queue=ServiceBusSubQueue.DEAD_LETTER) as dlq:
            (dead,) = receive(dlq, 1)
            assert str(dead) == "short" and dead.dead_letter_reason == "TTLExpiredException"


def test_duplicate_detection(make_emulator: Callable[..., Any], entity: str) -> None:
    props = {**FAST, "RequiresDuplicateDetection": True, "DuplicateDetectionHistoryTimeWindow": "PT1M"}
    emulator = make_emulator({entity: props})
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages(ServiceBusMessage("first", message_id="same"))
            sender.send_messages(ServiceBusMessage("second", message_id="same"))
            sender.send_messages(ServiceBusMessage("other", message_id="other"))
        with client.get_queue_receiver(entity) as receiver:
            assert [str(m) for m in receiver.peek_messages(max_message_count=5)] == ["first", "other"]


def test_unknown_entity(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})
    with _client(emulator) as client:
        with pytest.raises(MessagingEntityNotFoundError), client.get_queue_receiver("no-such-queue") as r:
            r.receive_messages(max_message_count=1, max_wait_time=1)
        with pytest.raises(Exception), client.get_queue_sender("no-such-queue") as sender:  # noqa: B017
            # The sender races the detach and may surface a generic error (see servicebus-amqp.md).
            sender.send_messages(ServiceBusMessage("x"))


def test_oversized_message_is_rejected(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST}, max_message_size=8 * 1024)
    with _client(emulator) as client, client.get_queue_sender(entity) as sender:
        sender.send_messages(ServiceBusMessage("x" * 4000))
        with pytest.raises(MessageSizeExceededError):
            sender.send_messages(ServiceBusMessage("x" * 10_000))
    assert emulator.emulator.server.call(lambda: len(emulator.emulator.namespace.receivable(entity))) == 1


def test_large_message_within_the_default_limit(make_emulator: Callable[..., Any], entity: str) -> None:
    emulator = make_emulator({entity: FAST})  # default limit: 256 KB
    body = "L" * (250 * 1024)  # many AMQP frames each way
    with _client(emulator) as client:
        with client.get_queue_sender(entity) as sender:
            sender.send_messages(ServiceBusMessage(body))
            with pytest.raises(MessageSizeExceededError):
                sender.send_messages(ServiceBusMessage("x" * (257 * 1024)))
        with client.get_queue_receiver(entity) as receiver:
            (message,) = receive(receiver, 1)
            assert str(message) == body
            receiver.complete_message(message)
