"""The pure state machine with a fake clock: locks, counts, DLQ moves, TTL, scheduling, duplicates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from servicebus_emulator.config import build_namespace
from servicebus_emulator.entities import IncomingMessage, MessageState, Namespace, SystemProperties
from servicebus_emulator.errors import (
    EntityNotFoundError,
    MessageLockLostError,
    MessageNotFoundError,
    MessageSizeExceededError,
)

pytestmark = [pytest.mark.emulator, pytest.mark.unit]


def _namespace(clock: Any, queue_props: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
               max_message_size: int = 256 * 1024) -> Namespace:
    spec: dict[str, Any] = {
        "Name": "ns",
        "Queues": [{"Name": "q", "Properties": {"LockDuration": "PT30S", "MaxDeliveryCount": 3,
                                                **(queue_props or {})}}],
        **(extra or {}),
    }
    return build_namespace({"UserConfig": {"Namespaces": [spec]}}, clock, max_message_size=max_message_size)


def _msg(body: bytes = b"x", message_id: str | None = None, **props: Any) -> IncomingMessage:
    return IncomingMessage(body, SystemProperties(message_id=message_id), dict(props))


def test_sequence_numbers_increase_and_message_id_is_assigned(clock: Any) -> None:
    ns = _namespace(clock)
    assert ns.send("q", _msg()) == [1]
    assert ns.send("Q", _msg(message_id="given")) == [2]  # entity names are case-insensitive
    queue = ns.receivable("q")
    first, second = queue.lock_next(clock.now()), queue.lock_next(clock.now())
    assert first is not None and second is not None
    assert len(first.message_id) == 32 and second.message_id == "given"
    assert first.enqueued_time == clock.now()


def test_complete_removes_and_second_settle_is_lock_lost(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg())
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    queue.complete(message.lock_token, clock.now())
    assert len(queue) == 0
    with pytest.raises(MessageLockLostError):
        queue.complete(message.lock_token, clock.now())


def test_abandon_counts_delivery_and_merges_properties(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg(a=1))
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    queue.abandon(message.lock_token, clock.now(), {"b": "two"})
    again = queue.lock_next(clock.now())
    assert again is not None and again.sequence_number == message.sequence_number
    assert again.delivery_count == 1 and again.properties == {"a": 1, "b": "two"}


def test_release_does_not_count_delivery(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg())
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    queue.release(message.lock_token)
    again = queue.lock_next(clock.now())
    assert again is not None and again.delivery_count == 0


def test_max_delivery_count_moves_to_dead_letter_queue(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg())
    queue, dlq = ns.receivable("q"), ns.receivable("q/$DeadLetterQueue")
    for _ in range(3):
        message = queue.lock_next(clock.now())
        assert message is not None and message.lock_token is not None
        queue.abandon(message.lock_token, clock.now())
    assert queue.lock_next(clock.now()) is None
    dead = dlq.lock_next(clock.now())
    assert dead is not None
    assert dead.properties["DeadLetterReason"] == "MaxDeliveryCountExceeded"
    assert dead.delivery_count == 3 and dead.dead_letter_source == "q"


def test_lock_expiry_redelivers_with_count_and_old_token_is_lost(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg())
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    token = message.lock_token
    clock.advance(seconds=29)
    ns.tick()
    assert queue.lock_next(clock.now()) is None  # still locked
    clock.advance(seconds=1)
    ns.tick()
    again = queue.lock_next(clock.now())
    assert again is not None and again.delivery_count == 1
    with pytest.raises(MessageLockLostError):
        queue.complete(token, clock.now())


def test_renew_lock_extends_and_lock_lost_after_expiry_without_tick(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg())
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    clock.advance(seconds=20)
    until = queue.renew_lock(message.lock_token, clock.now())
    assert until == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=20)
    ns.tick()
    queue.complete(message.lock_token, clock.now())  # renewed lock still valid at +40 s
    ns.send("q", _msg())
    other = queue.lock_next(clock.now())
    assert other is not None and other.lock_token is not None
    clock.advance(seconds=31)  # no tick: settle itself must notice the expiry
    with pytest.raises(MessageLockLostError):
        queue.complete(other.lock_token, clock.now())


def test_explicit_dead_letter_with_reason_and_description(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg())
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    queue.dead_letter(message.lock_token, clock.now(), "BadFile", "line 3 is broken")
    dead = ns.receivable("q/$deadletterqueue").take_next(clock.now())
    assert dead is not None
    assert dead.properties["DeadLetterReason"] == "BadFile"
    assert dead.properties["DeadLetterErrorDescription"] == "line 3 is broken"


def test_ttl_expiry_dead_letters_when_enabled(clock: Any) -> None:
    ns = _namespace(clock, {"DefaultMessageTimeToLive": "PT10S", "DeadLetteringOnMessageExpiration": True})
    ns.send("q", _msg())
    short = _msg()
    short.time_to_live = timedelta(seconds=2)
    ns.send("q", short)
    clock.advance(seconds=3)
    ns.tick()
    queue = ns.receivable("q")
    assert queue.counts()["active"] == 1
    clock.advance(seconds=7)
    assert queue.lock_next(clock.now()) is None  # expired at dispatch even without a tick
    dlq = ns.receivable("q/$DeadLetterQueue")
    reasons = [m.properties["DeadLetterReason"] for m in dlq.peek(0, 10)]
    assert reasons == ["TTLExpiredException", "TTLExpiredException"]


def test_ttl_expiry_drops_when_dead_lettering_disabled(clock: Any) -> None:
    ns = _namespace(clock, {"DefaultMessageTimeToLive": "PT10S"})
    ns.send("q", _msg())
    clock.advance(seconds=11)
    ns.tick()
    assert len(ns.receivable("q")) == 0 and len(ns.receivable("q/$DeadLetterQueue")) == 0


def test_scheduled_message_activates_on_time_and_can_be_cancelled(clock: Any) -> None:
    ns = _namespace(clock)
    at = clock.now() + timedelta(minutes=5)
    keep = ns.schedule("q", _msg(b"keep"), at)
    cancel = ns.schedule("q", _msg(b"cancel"), at)
    ns.cancel_scheduled("q", [cancel])
    queue = ns.receivable("q")
    assert [m.state for m in queue.peek(0, 10)] == [MessageState.SCHEDULED]
    assert queue.lock_next(clock.now()) is None
    clock.advance(minutes=5)
    ns.tick()
    message = queue.lock_next(clock.now())
    assert message is not None and message.sequence_number == keep and message.payload == b"keep"
    with pytest.raises(MessageNotFoundError):
        ns.cancel_scheduled("q", [cancel])


def test_defer_then_receive_by_sequence_number(clock: Any) -> None:
    ns = _namespace(clock)
    ns.send("q", _msg())
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    queue.defer(message.lock_token, clock.now())
    assert queue.lock_next(clock.now()) is None
    (deferred,) = queue.receive_deferred([message.sequence_number], clock.now())
    assert deferred.state is MessageState.DEFERRED and deferred.lock_token is not None
    queue.complete(deferred.lock_token, clock.now())
    with pytest.raises(MessageNotFoundError):
        queue.receive_deferred([message.sequence_number], clock.now())


def test_duplicate_detection_within_window_only(clock: Any) -> None:
    ns = _namespace(clock, {"RequiresDuplicateDetection": True,
                            "DuplicateDetectionHistoryTimeWindow": "PT1M"})
    assert ns.send("q", _msg(message_id="m1")) == [1]
    assert ns.send("q", _msg(message_id="m1")) == []
    clock.advance(minutes=1)
    assert ns.send("q", _msg(message_id="m1")) == [2]
    assert len(ns.receivable("q")) == 2


def test_topic_fan_out_with_filters(clock: Any) -> None:
    topic = {"Topics": [{"Name": "t", "Subscriptions": [
        {"Name": "all"},
        {"Name": "red", "Rules": [{"Name": "r", "Properties": {
            "FilterType": "Correlation", "CorrelationFilter": {"Properties": {"colour": "red"}}}}]},
        {"Name": "big", "Rules": [{"Name": "r", "Properties": {
            "FilterType": "Sql", "SqlFilter": {"SqlExpression": "size > 10 AND sys.Label = 'x'"}}}]},
    ]}]}
    ns = _namespace(clock, extra=topic)
    ns.send("t", _msg(colour="red", size=5))
    big = _msg(colour="blue", size=50)
    big.system = SystemProperties(subject="x")
    ns.send("t", big)
    counts = {row["entity"]: row["active"] for row in ns.summary()}
    assert counts["t/subscriptions/all"] == 2
    assert counts["t/subscriptions/red"] == 1
    assert counts["t/subscriptions/big"] == 1
    with pytest.raises(EntityNotFoundError):
        ns.receivable("t")  # a topic itself cannot be received from


def test_forward_to_and_forward_dead_lettered(clock: Any) -> None:
    extra = {"Queues": [
        {"Name": "q", "Properties": {"ForwardTo": "target"}},
        {"Name": "target",
         "Properties": {"MaxDeliveryCount": 1, "ForwardDeadLetteredMessagesTo": "graveyard"}},
        {"Name": "graveyard"},
    ]}
    ns = _namespace(clock, extra=extra)
    ns.send("q", _msg())
    assert len(ns.receivable("q")) == 0
    target = ns.receivable("target")
    message = target.lock_next(clock.now())
    assert message is not None and message.lock_token is not None
    target.abandon(message.lock_token, clock.now())
    moved = ns.receivable("graveyard").take_next(clock.now())
    assert moved is not None and moved.properties["DeadLetterReason"] == "MaxDeliveryCountExceeded"
    assert len(ns.receivable("target/$DeadLetterQueue")) == 0


def test_oversized_message_is_rejected(clock: Any) -> None:
    ns = _namespace(clock, max_message_size=100)
    ns.send("q", _msg(b"x" * 100))
    with pytest.raises(MessageSizeExceededError):
        ns.send("q", _msg(b"x" * 101))


def test_unknown_entity(clock: Any) -> None:
    ns = _namespace(clock)
    with pytest.raises(EntityNotFoundError):
        ns.send("nope", _msg())
    with pytest.raises(EntityNotFoundError):
        ns.receivable("nope/$DeadLetterQueue")
