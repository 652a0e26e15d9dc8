"""Request/response nodes: CBS `put-token` and `<entity>/$management` operations.

Each operation reads the amqp-value map the SDK sends, calls the Namespace, and answers with `statusCode`,
`statusDescription` and, on failure, `errorCondition`, correlated to the request's message id (kept as a
UUID, because pyamqp compares it with `==`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from proton import UNDESCRIBED, Array, Data, Message, symbol

from servicebus_emulator.codec import decode_message, encode_delivery, to_timestamp
from servicebus_emulator.entities import MessageQueue, Namespace
from servicebus_emulator.errors import (
    BadRequestError,
    EmulatorError,
    EntityNotFoundError,
    OperationNotImplementedError,
)

if TYPE_CHECKING:
    from servicebus_emulator.amqp import Broker

Body = dict[str, Any]
Result = tuple[int, Any]


def put_token(request: Message) -> Message:
    """Accept any token: the emulator, like Microsoft's, does not check SAS signatures."""
    return Message(correlation_id=request.id,
                   properties={"status-code": 202, "status-description": "Accepted"})


def check_entity(ns: Namespace, entity: str) -> None:
    try:
        ns.receivable(entity)
    except EntityNotFoundError:
        ns.sendable(entity)  # a sender's management node (schedule, cancel) lives on a queue or topic


def handle(broker: Broker, entity: str, request: Message) -> Message:
    properties: dict[Any, Any] = dict(request.properties or {})
    operation = _text(properties.get("operation")) or ""
    body = _normalise(request.body if isinstance(request.body, dict) else {})
    action = OPERATIONS.get(operation.removeprefix("com.microsoft:"))
    try:
        if action is None:
            raise OperationNotImplementedError(f"The management operation '{operation}' is not supported.")
        status, value = action(broker, entity, body)
        reply = Message(correlation_id=request.id, body=value,
                        properties={"statusCode": status, "statusDescription": "OK"})
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        reply = _error_reply(request, BadRequestError(f"Malformed '{operation}' request: {exc!r}"))
    except EmulatorError as exc:
        reply = _error_reply(request, exc)
    return reply


def _error_reply(request: Message, error: EmulatorError) -> Message:
    return Message(correlation_id=request.id, properties={
        "statusCode": error.status, "statusDescription": error.description,
        "errorCondition": symbol(error.condition)})


def _renew_lock(broker: Broker, entity: str, body: Body) -> Result:
    queue, now = broker.ns.receivable(entity), broker.ns.clock.now()
    expirations = [to_timestamp(queue.renew_lock(token, now)) for token in _tokens(body)]
    return 200, {"expirations": Array(UNDESCRIBED, Data.TIMESTAMP,  # type: ignore[arg-type]
                                        *expirations)}


def _peek(broker: Broker, entity: str, body: Body) -> Result:
    queue = broker.ns.receivable(entity)
    start = int(body.get("from-sequence-number", 0))
    count = int(body.get("message-count", 1))
    messages = queue.peek(start, count)
    if not messages:
        return 204, None
    return 200, {"messages": [{"message": encode_delivery(m, locked=False)} for m in messages]}


def _schedule(broker: Broker, entity: str, body: Body) -> Result:
    sequence_numbers = []
    for item in body.get("messages", []):
        incoming = decode_message(bytes(_normalise(item)["message"]))
        at = incoming.scheduled_enqueue_time or broker.ns.clock.now()
        sequence_numbers.append(broker.ns.schedule(entity, incoming, at))
    return 200, {"sequence-numbers": Array(UNDESCRIBED, Data.LONG,  # type: ignore[arg-type]
                                             *sequence_numbers)}


def _cancel(broker: Broker, entity: str, body: Body) -> Result:
    broker.ns.cancel_scheduled(entity, [int(s) for s in body.get("sequence-numbers", [])])
    return 200, None


def _receive_deferred(broker: Broker, entity: str, body: Body) -> Result:
    queue, now = broker.ns.receivable(entity), broker.ns.clock.now()
    peek_lock = int(body.get("receiver-settle-mode", 1)) != 0
    found = queue.receive_deferred([int(s) for s in body.get("sequence-numbers", [])], now, peek_lock)
    items = []
    for message in found:
        item: dict[str, Any] = {"message": encode_delivery(message, locked=peek_lock)}
        if peek_lock and message.lock_token is not None:
            item["lock-token"] = message.lock_token
        items.append(item)
    return 200, {"messages": items}


def _update_disposition(broker: Broker, entity: str, body: Body) -> Result:
    queue, now = broker.ns.receivable(entity), broker.ns.clock.now()
    properties = {str(k): v for k, v in (body.get("properties-to-modify") or {}).items()}
    for token in _tokens(body):
        _dispose(queue, token, now, body, properties)
        broker.settle_held(token)
    return 200, None


def _dispose(queue: MessageQueue, token: uuid.UUID, now: datetime, body: Body,
             properties: dict[str, Any]) -> None:
    status = _text(body.get("disposition-status")) or ""
    if status == "completed":
        queue.complete(token, now)
    elif status == "abandoned":
        queue.abandon(token, now, properties)
    elif status in ("defered", "deferred"):
        queue.defer(token, now, properties)
    elif status == "suspended":
        queue.dead_letter(token, now, _text(body.get("deadletter-reason")),
                          _text(body.get("deadletter-description")), properties)
    else:
        raise BadRequestError(f"Unknown disposition-status '{status}'; expected completed, abandoned, "
                              f"defered or suspended.")


def _tokens(body: Body) -> list[uuid.UUID]:
    tokens = []
    for value in body.get("lock-tokens", []):
        if isinstance(value, uuid.UUID):
            tokens.append(value)
        elif isinstance(value, bytes) and len(value) == 16:
            tokens.append(uuid.UUID(bytes=value))
        else:
            try:
                tokens.append(uuid.UUID(str(_text(value))))
            except ValueError:
                raise BadRequestError(f"'{value!r}' is not a lock token (a UUID).") from None
    return tokens


def _normalise(body: Any) -> Body:
    return {str(_text(k)): v for k, v in dict(body).items()}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


OPERATIONS: dict[str, Callable[[Broker, str, Body], Result]] = {
    "renew-lock": _renew_lock,
    "peek-message": _peek,
    "schedule-message": _schedule,
    "cancel-scheduled-message": _cancel,
    "receive-by-sequence-number": _receive_deferred,
    "update-disposition": _update_disposition,
}
