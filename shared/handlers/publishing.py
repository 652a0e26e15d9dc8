"""Turning a contract model into an `OutgoingMessage` with the properties every consumer relies on."""

from __future__ import annotations

from shared.contracts import Message, encode_message
from shared.ports import OutgoingMessage
from shared.services import Services


def outgoing(message: Message, **extra: str) -> OutgoingMessage:
    """The message with message_id, correlation_id = file id, subject = type, and the application
    properties `type`, `schema_version` (plus `extra`, e.g. `compensate`). The trace context is not ours
    to set: the Service Bus SDK adds `Diagnostic-Id`/`traceparent` from the current span when it sends
    (`shared/telemetry.py`)."""
    properties: dict[str, str | int] = {
        "type": message.type,
        "schema_version": message.schema_version,
        **extra,
    }
    return OutgoingMessage(
        body=encode_message(message),
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        subject=message.type,
        application_properties=properties,
    )


def publish(services: Services, entity: str, message: Message, **extra: str) -> None:
    """Send `outgoing(message, **extra)` to `entity`."""
    services.publisher.publish(entity, outgoing(message, **extra))
