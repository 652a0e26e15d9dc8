"""Bad input on the wire gets a precise AMQP error, and the emulator keeps serving.

The official SDKs never send garbage, so these use proton's own blocking client over a real loopback
socket to send what an SDK would not: undecodable bytes and malformed management requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from proton import UNDESCRIBED, Array, Data, Delivery, Message
from proton.utils import BlockingConnection, SendException

pytestmark = [pytest.mark.emulator, pytest.mark.integration]


class _RawBytes:
    """Sends bytes that are not an AMQP message, and keeps the delivery for inspection."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.delivery: Any = None

    def send(self, sender: Any, tag: Any = None) -> Any:
        self.delivery = sender.delivery(tag or sender.delivery_tag())
        sender.stream(self.payload)
        sender.advance()
        return self.delivery


@pytest.fixture
def wire(make_emulator: Callable[..., Any], entity: str) -> Iterator[tuple[BlockingConnection, str]]:
    emulator = make_emulator({entity: {"LockDuration": "PT5S"}})
    connection = BlockingConnection(f"127.0.0.1:{emulator.port}", timeout=10, allowed_mechs="ANONYMOUS")
    try:
        yield connection, entity
    finally:
        connection.close()


def _management(connection: BlockingConnection, entity: str, operation: str, body: dict[str, Any]) -> Message:
    reply_name = f"reply-{uuid.uuid4().hex[:8]}"
    receiver = connection.create_receiver(f"{entity}/$management", name=reply_name)
    sender = connection.create_sender(f"{entity}/$management", name=f"request-{reply_name}")
    request = Message(id=uuid.uuid4(), reply_to=reply_name, body=body,
                      properties={"operation": operation, "type": "entity-mgmt"})
    sender.send(request)
    response = receiver.receive(timeout=10)  # replies come pre-settled: nothing to accept
    assert response.correlation_id == request.id
    return response


def test_undecodable_bytes_are_rejected_and_service_continues(wire: tuple[BlockingConnection, str]) -> None:
    connection, entity = wire
    sender = connection.create_sender(entity)
    garbage = _RawBytes(b"\x00\x53\x77\xff\xff not amqp")
    with pytest.raises(SendException) as info:
        sender.send(garbage)
    assert info.value.state == Delivery.REJECTED
    assert garbage.delivery.remote.condition.name == "amqp:decode-error"
    sender.send(Message(body="fine", id="ok-1"))
    receiver = connection.create_receiver(entity)
    assert receiver.receive(timeout=10).body == "fine"
    receiver.accept()


def test_unknown_management_operation(wire: tuple[BlockingConnection, str]) -> None:
    connection, entity = wire
    response = _management(connection, entity, "com.microsoft:teleport", {})
    assert response.properties["statusCode"] == 501
    assert response.properties["errorCondition"] == "amqp:not-implemented"
    assert "teleport" in response.properties["statusDescription"]


def test_malformed_and_stale_management_requests(wire: tuple[BlockingConnection, str]) -> None:
    connection, entity = wire
    bad = _management(connection, entity, "com.microsoft:renew-lock", {"lock-tokens": ["not-a-uuid"]})
    assert bad.properties["statusCode"] == 400
    stale = _management(connection, entity, "com.microsoft:update-disposition", {
        "disposition-status": "completed",
        "lock-tokens": Array(UNDESCRIBED, Data.UUID, uuid.uuid4()),
    })
    assert stale.properties["statusCode"] == 410
    assert stale.properties["errorCondition"] == "com.microsoft:message-lock-lost"
    missing = _management(connection, entity, "com.microsoft:cancel-scheduled-message",
                          {"sequence-numbers": [12345]})
    assert missing.properties["statusCode"] == 404
    assert missing.properties["errorCondition"] == "com.microsoft:message-not-found"
    empty = _management(connection, entity, "com.microsoft:peek-message",
                        {"from-sequence-number": 0, "message-count": 5})
    assert empty.properties["statusCode"] == 204
