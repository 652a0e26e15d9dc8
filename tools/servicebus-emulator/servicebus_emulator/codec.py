"""Between AMQP bytes and the state machine's messages: decoding sends (and batches), encoding deliveries.

A send arrives as the raw bytes of one transfer. A batch (message format 0x80013700) is an envelope whose
data sections each hold a complete encoded message; proton does not expose the format number and its
`Message.decode` keeps only the last data section, so batches are recognised by their structure.
Deliveries are spliced (see `splice`) and fall back to a full proton re-encode for unusual messages.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cproton import pn_message_get_content_type
from proton import Data, Message, symbol, timestamp

from servicebus_emulator import splice
from servicebus_emulator.entities.model import IncomingMessage, SystemProperties
from servicebus_emulator.entities.model import Message as Stored

SCHEDULED_ENQUEUE_TIME = symbol("x-opt-scheduled-enqueue-time")
SEQUENCE_NUMBER = "x-opt-sequence-number"
ENQUEUED_TIME = "x-opt-enqueued-time"
LOCKED_UNTIL = "x-opt-locked-until"
MESSAGE_STATE = "x-opt-message-state"
DEAD_LETTER_SOURCE = "x-opt-deadletter-source"
BROKER_KEYS = (SEQUENCE_NUMBER, ENQUEUED_TIME, LOCKED_UNTIL, MESSAGE_STATE, DEAD_LETTER_SOURCE)
MAX_UINT = 2**32 - 1


def decode_transfer(raw: bytes) -> list[IncomingMessage]:
    """The messages in one transfer: several for a batch, one otherwise."""
    inner = _batch_payloads(raw)
    if inner is None:
        return [decode_message(raw)]
    return [decode_message(payload) for payload in inner]


def _batch_payloads(raw: bytes) -> list[bytes] | None:
    try:
        sections = splice.split(raw)
    except (splice.SpliceError, IndexError):
        return None
    payloads = [raw[start:end] for start, end in sections.data_sections]
    if not payloads or not all(_looks_like_message(p) for p in payloads):
        return None
    return payloads


def _looks_like_message(payload: bytes) -> bool:
    # An encoded message starts with a described section: 0x00, smallulong 0x53, then a code 0x70-0x78.
    return len(payload) >= 3 and payload[0] == 0x00 and payload[1] == 0x53 and 0x70 <= payload[2] <= 0x78


def decode_message(raw: bytes) -> IncomingMessage:
    """Raises ValueError for bytes that are not an AMQP message (proton alone would accept garbage)."""
    try:
        sections: splice.Sections | None = splice.split(raw)
    except (splice.SpliceError, IndexError) as exc:
        raise ValueError(f"not an AMQP 1.0 message ({exc or 'truncated'})") from None
    message: Any = Message()
    message.decode(raw)
    if message.id is None:
        # Assign the id on the wire copy too: the JS SDK's lock renewer needs one on every message.
        message.id = uuid.uuid4().hex
        raw = message.encode()
        sections = None  # worked out again on first delivery
    annotations: dict[Any, Any] = message.annotations or {}
    ttl = timedelta(seconds=message.ttl) if message.ttl else None
    system = SystemProperties(
        message_id=_text(message.id),
        correlation_id=_text(message.correlation_id),
        subject=_text(message.subject),
        to=_text(message.address),
        reply_to=_text(message.reply_to),
        # proton wraps a missing content type as symbol(None), i.e. the text "None": ask the C layer.
        content_type=_text(pn_message_get_content_type(message._msg)),
        session_id=_text(message.group_id),
    )
    scheduled = _datetime(annotations.get(SCHEDULED_ENQUEUE_TIME))
    # The section layout rides along (`wire_cache`), so a delivery does not split the payload again.
    return IncomingMessage(raw, system, dict(message.properties or {}), ttl, scheduled, wire_cache=sections)


def encode_delivery(stored: Stored, locked: bool) -> bytes:
    """The stored message as the SDK expects to receive it: broker annotations, current properties."""
    try:
        return _spliced(stored, locked)
    except (splice.SpliceError, IndexError):
        return _reencoded(stored, locked)


def _broker_annotations(stored: Stored, locked: bool) -> list[tuple[str, bytes]]:
    ours = [(SEQUENCE_NUMBER, splice.long(stored.sequence_number)),
            (ENQUEUED_TIME, splice.timestamp(_ms(stored.enqueued_time))),
            (MESSAGE_STATE, splice.long(int(stored.state)))]
    if locked and stored.locked_until is not None:
        ours.append((LOCKED_UNTIL, splice.timestamp(_ms(stored.locked_until))))
    if stored.dead_letter_source is not None:
        ours.append((DEAD_LETTER_SOURCE, splice.string(stored.dead_letter_source)))
    return ours


# The hot path's constant bytes: each broker annotation key as an encoded symbol, and its raw text.
_SEQUENCE_NUMBER_KEY = splice.symbol(SEQUENCE_NUMBER)
_ENQUEUED_TIME_KEY = splice.symbol(ENQUEUED_TIME)
_MESSAGE_STATE_KEY = splice.symbol(MESSAGE_STATE)
_LOCKED_UNTIL_KEY = splice.symbol(LOCKED_UNTIL)
_DEAD_LETTER_SOURCE_KEY = splice.symbol(DEAD_LETTER_SOURCE)
_BROKER_KEY_TEXTS = tuple(key.encode() for key in BROKER_KEYS)


def _spliced(stored: Stored, locked: bool) -> bytes:
    sections = _sections(stored)
    parts = sections.parts
    pairs, count = splice.map_pairs(parts.get(splice.MESSAGE_ANNOTATIONS))
    if pairs and any(key in pairs for key in _BROKER_KEY_TEXTS):
        raise splice.SpliceError("the sender's annotations carry broker keys; merge them properly")
    # The same annotations as `_broker_annotations`, encoded straight into the map's pairs.
    pairs += (_SEQUENCE_NUMBER_KEY + splice.long(stored.sequence_number)
              + _ENQUEUED_TIME_KEY + splice.timestamp(_ms(stored.enqueued_time))
              + _MESSAGE_STATE_KEY + splice.long(int(stored.state)))
    count += 6
    if locked and stored.locked_until is not None:
        pairs += _LOCKED_UNTIL_KEY + splice.timestamp(_ms(stored.locked_until))
        count += 2
    if stored.dead_letter_source is not None:
        pairs += _DEAD_LETTER_SOURCE_KEY + splice.string(stored.dead_letter_source)
        count += 2
    return b"".join((
        splice.header(False, 4, _ttl_ms(stored), stored.delivery_count),
        splice.encode_map_section(splice.MESSAGE_ANNOTATIONS, pairs, count),
        parts.get(splice.PROPERTIES, b""),
        _application_properties(stored.properties) if stored.properties else b"",
        sections.body,
    ))


def _sections(stored: Stored) -> splice.Sections:
    # The payload never changes, so its section layout is worked out once per stored message.
    cached = stored.wire_cache
    if not isinstance(cached, splice.Sections):
        cached = stored.wire_cache = splice.split(stored.payload)
    return cached


def _application_properties(properties: dict[str, Any]) -> bytes:
    if not properties:
        return b""
    pairs = splice.simple_pairs(properties)
    if pairs is not None:
        return splice.encode_map_section(splice.APPLICATION_PROPERTIES, pairs, 2 * len(properties))
    data = Data()  # AMQP-typed values (symbol, ulong, uuid, ...): let proton encode them
    data.put_object(properties)
    encoded: bytes = data.encode()
    return bytes((0x00, 0x53, splice.APPLICATION_PROPERTIES)) + encoded


def _reencoded(stored: Stored, locked: bool) -> bytes:
    message: Any = Message()
    message.decode(stored.payload)
    message.properties = dict(stored.properties)
    annotations: dict[Any, Any] = dict(message.annotations or {})
    for key, value in _broker_annotations(stored, locked):
        data = Data()
        data.decode(value)
        annotations[symbol(key)] = data.get_object()
    message.annotations = annotations
    # proton writes its own header and omits a zero delivery-count (the SDKs then report None): replace it.
    message.durable, message.priority, message.ttl = False, Message.DEFAULT_PRIORITY, 0
    message.first_acquirer, message.delivery_count = False, 0
    encoded: bytes = message.encode()
    if encoded[:3] == b"\x00\x53\x70":
        encoded = encoded[splice.value_end(encoded, 3):]
    return splice.header(False, 4, _ttl_ms(stored), stored.delivery_count) + encoded


def _ttl_ms(stored: Stored) -> int | None:
    if stored.time_to_live is None:
        return None
    milliseconds = int(stored.time_to_live.total_seconds() * 1000)
    return milliseconds if 0 < milliseconds <= MAX_UINT else None


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def to_timestamp(moment: datetime) -> timestamp:
    return timestamp(_ms(moment))


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
