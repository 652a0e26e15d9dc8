"""Bytes ⇄ messages: batch recognition, id assignment, and the spliced delivery encoding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.servicebus._pyamqp._decode import decode_payload  # the SDK's own decoder, as a referee
from proton import Data, Message, symbol
from servicebus_emulator.codec import _reencoded, decode_transfer, encode_delivery
from servicebus_emulator.entities import Message as Stored
from servicebus_emulator.entities import MessageState, SystemProperties

pytestmark = [pytest.mark.emulator, pytest.mark.unit]


def _batch(*messages: bytes) -> bytes:
    envelope = b""
    for inner in messages:
        data = Data()
        data.put_binary(inner)
        envelope += b"\x00\x53\x75" + data.encode()
    return envelope


def test_single_message_keeps_its_fields() -> None:
    raw = Message(body="hi", id="m-1", correlation_id="c", subject="s", properties={"a": 1}, ttl=30).encode()
    (incoming,) = decode_transfer(raw)
    assert incoming.system.message_id == "m-1" and incoming.system.subject == "s"
    assert incoming.properties == {"a": 1} and incoming.time_to_live == timedelta(seconds=30)


def test_batch_is_split_and_missing_ids_are_assigned() -> None:
    inner = [Message(body=f"b{i}").encode() for i in range(3)]
    messages = decode_transfer(_batch(*inner))
    assert len(messages) == 3
    ids = [m.system.message_id for m in messages]
    assert all(ids) and len(set(ids)) == 3
    decoded = Message()
    decoded.decode(messages[0].payload)
    assert decoded.id == ids[0] and decoded.body == "b0"  # the id is on the wire copy too


def test_a_plain_binary_body_is_not_a_batch() -> None:
    raw = Message(body=b"\x00\x01 not a message").encode()
    assert len(decode_transfer(raw)) == 1


def test_spliced_delivery_matches_the_full_reencode() -> None:
    raw = Message(body="x" * 50, id="abc", properties={"a": 1},
                  annotations={symbol("x-opt-partition-key"): "pk"}).encode()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    stored = Stored(7, raw, SystemProperties(message_id="abc"), {"a": 1, "DeadLetterReason": "r"}, now,
                    timedelta(seconds=30), now, state=MessageState.DEFERRED, delivery_count=2,
                    locked_until=now, dead_letter_source="q")
    fast, slow = decode_payload(memoryview(encode_delivery(stored, True))), decode_payload(
        memoryview(_reencoded(stored, True)))
    assert fast.header == slow.header and fast.header.delivery_count == 2
    assert fast.message_annotations == slow.message_annotations
    assert fast.message_annotations[b"x-opt-sequence-number"] == 7
    assert fast.message_annotations[b"x-opt-message-state"] == 1
    assert fast.message_annotations[b"x-opt-partition-key"] == b"pk"
    assert fast.application_properties == {b"a": 1, b"DeadLetterReason": b"r"}
    assert fast.properties.message_id == b"abc" and fast.value == slow.value


def test_zero_delivery_count_is_on_the_wire() -> None:
    raw = Message(body="x", id="m").encode()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    stored = Stored(1, raw, SystemProperties(message_id="m"), {}, now, None, now)
    assert decode_payload(memoryview(encode_delivery(stored, False))).header.delivery_count == 0


@pytest.mark.parametrize("raw", [b"garbage", b"\x00\x53\x77\xff\xff", b"\x00\x53\x75\xa0\x09short"])
def test_bytes_that_are_not_a_message_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match=r"not an AMQP 1\.0 message"):
        decode_transfer(raw)


def test_missing_content_type_is_none_not_the_text_none() -> None:
    (plain,) = decode_transfer(Message(body="x").encode())
    (typed,) = decode_transfer(Message(body="x", content_type="application/json").encode())
    assert plain.system.content_type is None
    assert typed.system.content_type == "application/json"
