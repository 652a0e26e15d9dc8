"""Client outcomes → state-machine calls, and broker errors → AMQP conditions.

complete = accepted; dead-letter = rejected with DeadLetterReason/DeadLetterErrorDescription in the
error info; abandon = modified (Python sends delivery-failed, JS undeliverable-here=false); defer =
modified with undeliverable-here; released puts the message back without counting a delivery.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from proton import Condition, Delivery, symbol

from servicebus_emulator.entities import MessageQueue
from servicebus_emulator.errors import EmulatorError


def apply_outcome(queue: MessageQueue, token: uuid.UUID, remote: Any, outcome: Any, now: datetime) -> None:
    if outcome == Delivery.ACCEPTED:
        queue.complete(token, now)
    elif outcome == Delivery.REJECTED:
        info = dict(remote.condition.info or {}) if remote.condition is not None else {}
        queue.dead_letter(token, now, _text(info.get("DeadLetterReason")),
                          _text(info.get("DeadLetterErrorDescription")))
    elif outcome == Delivery.MODIFIED:
        properties = {str(k): v for k, v in (remote.annotations or {}).items()}
        if remote.undeliverable:
            queue.defer(token, now, properties)
        else:
            queue.abandon(token, now, properties)
    elif outcome == Delivery.RELEASED:
        queue.release(token)


def error_condition(error: EmulatorError) -> Condition:
    # pyamqp indexes the error's info field, so it must be present (proton drops an empty one).
    return Condition(error.condition, error.description,
                     {symbol("com.microsoft:tracking-id"): str(uuid.uuid4())})


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
