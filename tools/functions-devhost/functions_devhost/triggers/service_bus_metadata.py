"""A received Service Bus message as the host hands it to the worker: body `Datum` plus trigger metadata.

Keys are the host's (`UserProperties` is required: the library decides single-message cardinality by it).
`DeliveryCount` is 1 on the first delivery, as the host reports it: the AMQP header counts only earlier
failed attempts, and the .NET client adds one.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from azure.functions import meta
from azure.servicebus import ServiceBusReceivedMessage
from azure.servicebus.amqp import AmqpMessageBodyType


def body_datum(message: ServiceBusReceivedMessage) -> meta.Datum:
    body: Any = message.body
    if message.body_type == AmqpMessageBodyType.DATA:
        return meta.Datum(b"".join(bytes(part) for part in body), "bytes")
    if isinstance(body, bytes):
        return meta.Datum(body, "bytes")
    return meta.Datum(body if isinstance(body, str) else json.dumps(_plain(body)), "string")


def trigger_metadata(message: ServiceBusReceivedMessage) -> dict[str, meta.Datum]:
    properties = json.dumps({_text(k): _plain(v) for k, v in (message.application_properties or {}).items()})
    strings = {
        "MessageId": message.message_id,
        "CorrelationId": message.correlation_id,
        "ContentType": message.content_type,
        "SessionId": message.session_id,
        "Subject": message.subject,
        "Label": message.subject,
        "ReplyTo": message.reply_to,
        "To": message.to,
        "LockToken": message.lock_token,
        "PartitionKey": message.partition_key,
        "DeadLetterReason": message.dead_letter_reason,
        "DeadLetterErrorDescription": message.dead_letter_error_description,
        "DeadLetterSource": message.dead_letter_source,
        "EnqueuedTimeUtc": _time(message.enqueued_time_utc),
        "ExpiresAtUtc": _time(message.expires_at_utc),
        "LockedUntil": _time(message.locked_until_utc),
        "TimeToLive": str(int(message.time_to_live.total_seconds())) if message.time_to_live else None,
    }
    metadata = {
        key: meta.Datum(_text(value), "string") for key, value in strings.items() if value is not None
    }
    metadata["UserProperties"] = meta.Datum(properties, "json")
    metadata["ApplicationProperties"] = meta.Datum(properties, "json")
    metadata["DeliveryCount"] = meta.Datum((message.delivery_count or 0) + 1, "int")
    if message.sequence_number is not None:
        metadata["SequenceNumber"] = meta.Datum(message.sequence_number, "int")
    if message.enqueued_sequence_number is not None:
        metadata["EnqueuedSequenceNumber"] = meta.Datum(message.enqueued_sequence_number, "int")
    return metadata


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _plain(value: Any) -> Any:
    """Application property values as JSON: bytes become text, times ISO strings, everything else as is."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
