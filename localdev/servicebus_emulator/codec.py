"""Between AMQP bytes and the state machine's messages: decoding sends (and batches), encoding deliveries.

A send arrives as the raw bytes of one transfer. A batch (message format 0x80013700) is an envelope whose
data sections each hold a complete encoded message; proton does not expose the format number and its
`Message.decode` keeps only the last data section, so the sections are walked here with `proton.Data`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from proton import Data, Message, symbol, timestamp, ulong

from localdev.servicebus_emulator.entities.model import IncomingMessage, SystemProperties
from localdev.servicebus_emulator.entities.model import Message as Stored

SECTION_HEADER = 0x70
SECTION_DATA = 0x75
SCHEDULED_ENQUEUE_TIME = symbol("x-opt-scheduled-enqueue-time")
SEQUENCE_NUMBER = symbol("x-opt-sequence-number")
ENQUEUED_TIME = symbol("x-opt-enqueued-time")
LOCKED_UNTIL = symbol("x-opt-locked-until")
MESSAGE_STATE = symbol("x-opt-message-state")
DEAD_LETTER_SOURCE = symbol("x-opt-deadletter-source")


def decode_transfer(raw: bytes) -> list[IncomingMessage]:
    """The messages in one transfer: several for a batch, one otherwise."""
    inner = _batch_payloads(raw)
    if inner is None:
        return [decode_message(raw)]
    return [decode_message(payload) for payload in inner]


def _batch_payloads(raw: bytes) -> list[bytes] | None:
    payloads: list[bytes] = []
    data = Data()
    view = memoryview(raw)
    offset = 0
    while offset < len(raw):
        data.clear()
        consumed = data.decode(view[offset:].tobytes())
        if consumed <= 0:
            return None
        offset += consumed
        data.rewind()
        if data.next() != Data.DESCRIBED:
            return None
        data.enter()
        data.next()
        descriptor = data.get_object()
        data.next()
        if descriptor == SECTION_DATA:
            payloads.append(bytes(data.get_binary()))  # copy: the memoryview dies with `data`
    if not payloads or not all(_looks_like_message(p) for p in payloads):
        return None
    return payloads


def _looks_like_message(payload: bytes) -> bool:
    # An encoded message starts with a described section: 0x00, smallulong 0x53, then a code 0x70-0x78.
    return len(payload) >= 3 and payload[0] == 0x00 and payload[1] == 0x53 and 0x70 <= payload[2] <= 0x78


def decode_message(raw: bytes) -> IncomingMessage:
    message: Any = Message()
    message.decode(raw)
    annotations: dict[Any, Any] = message.annotations or {}
    scheduled = annotations.get(SCHEDULED_ENQUEUE_TIME)
    ttl = timedelta(seconds=message.ttl) if message.ttl else None
    system = SystemProperties(
        message_id=_text(message.id),
        correlation_id=_text(message.correlation_id),
        subject=_text(message.subject),
        to=_text(message.address),
        reply_to=_text(message.reply_to),
        content_type=_text(message.content_type),
        session_id=_text(message.group_id),
    )
    return IncomingMessage(raw, system, dict(message.properties or {}), ttl, _datetime(scheduled))


def encode_delivery(stored: Stored, locked: bool) -> bytes:
    """The stored message as the SDK expects to receive it: broker annotations, current properties."""
    message: Any = Message()
    message.decode(stored.payload)
    if message.id is None:
        message.id = stored.message_id
    message.properties = dict(stored.properties)
    header = _header(message, stored.delivery_count)
    annotations: dict[Any, Any] = dict(message.annotations or {})
    annotations[SEQUENCE_NUMBER] = stored.sequence_number
    annotations[ENQUEUED_TIME] = to_timestamp(stored.enqueued_time)
    annotations[MESSAGE_STATE] = int(stored.state)
    if locked and stored.locked_until is not None:
        annotations[LOCKED_UNTIL] = to_timestamp(stored.locked_until)
    if stored.dead_letter_source is not None:
        annotations[DEAD_LETTER_SOURCE] = stored.dead_letter_source
    message.annotations = annotations
    encoded: bytes = message.encode()
    return header + _without_header(encoded)


def _without_header(encoded: bytes) -> bytes:
    if encoded[:3] != b"\x00\x53\x70":
        return encoded
    data = Data()
    consumed = data.decode(encoded)
    return encoded[consumed:]


def _header(message: Message, delivery_count: int) -> bytes:
    """Encode the header ourselves: proton omits a zero delivery-count, and the SDKs then report None."""
    ttl_ms = int(message.ttl * 1000) if message.ttl else None
    durable, priority = bool(message.durable), int(message.priority)
    message.durable, message.priority, message.ttl = False, Message.DEFAULT_PRIORITY, 0
    message.first_acquirer, message.delivery_count = False, 0  # so proton writes no header of its own
    data = Data()
    data.put_described()
    data.enter()
    data.put_ulong(SECTION_HEADER)
    data.put_list()
    data.enter()
    data.put_bool(durable)
    data.put_ubyte(priority)
    if ttl_ms is None:
        data.put_null()
    else:
        data.put_uint(ttl_ms)
    data.put_bool(delivery_count == 0)
    data.put_uint(delivery_count)
    data.exit()
    data.exit()
    encoded: bytes = data.encode()
    return encoded


def to_timestamp(moment: datetime) -> timestamp:
    return timestamp(int(moment.timestamp() * 1000))


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


__all__ = ["decode_message", "decode_transfer", "encode_delivery", "to_timestamp", "ulong"]
