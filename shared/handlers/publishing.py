"""Turning a contract model into an `OutgoingMessage` with the properties every consumer relies on."""

from __future__ import annotations

from shared.contracts import Message, encode_message
from shared.ports import OutgoingMessage
from shared.services import Services


def publish(services: Services, entity: str, message: Message, traceparent: str, **extra: str) -> None:
    """Send with message_id, correlation_id = file id, subject = type, and the application properties."""
    properties: dict[str, str | int] = {
        "type": message.type,
        "schema_version": message.schema_version,
        "traceparent": traceparent,
        **extra,
    }
    services.publisher.publish(
        entity,
        OutgoingMessage(
            body=encode_message(message),
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            subject=message.type,
            application_properties=properties,
        ),
    )
