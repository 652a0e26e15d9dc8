"""What a Service Bus-triggered handler needs from the delivered message, free of azure.functions.

`run_step` is the one place that turns any failure into a `step_failed` timeline event before the
exception propagates: the broker will only say `MaxDeliveryCountExceeded`, so this is where the real
error survives for the dead-letter handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shared.contracts import Envelope, PoisonMessage, decode_as
from shared.handlers.identity import is_file_id
from shared.handlers.timeline import record_event
from shared.services import Services

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Envelope)
R = TypeVar("R")


@dataclass(frozen=True)
class Delivery:
    """One delivered Service Bus message."""

    body: bytes
    message_id: str | None = None
    correlation_id: str | None = None
    delivery_count: int = 1
    application_properties: Mapping[str, Any] = field(default_factory=dict)
    entity: str = ""
    dead_letter_reason: str | None = None
    dead_letter_error_description: str | None = None
    enqueued_time: str | None = None


def record_failure(
    services: Services, file_id: str | None, step: str, exc: BaseException, attempt: int | None
) -> None:
    """Append `step_failed`; a failure to record must not hide the original error."""
    if not file_id:
        log.error("%s failed without a file id to record it under: %s: %s", step, type(exc).__name__, exc)
        return
    try:
        record_event(
            services.blobs,
            services.clock,
            file_id,
            "step_failed",
            step=step,
            error_type=type(exc).__name__,
            error_message=str(exc),
            attempt=attempt,
        )
    except Exception:  # the storage outage may be the very error we are reporting
        log.exception("could not record step_failed for %s", file_id)


def run_step(
    services: Services, delivery: Delivery, step: str, expected: type[M], work: Callable[[M], R]
) -> R:
    """Decode the body as `expected` and run `work`; record any failure on the timeline, then re-raise."""
    try:
        message = decode_as(delivery.body, expected)
    except PoisonMessage as exc:
        log.error(
            "%s got a poison message %s for %s: %s", step, delivery.message_id, delivery.correlation_id, exc
        )
        file_id = delivery.correlation_id if is_file_id(delivery.correlation_id) else None
        record_failure(services, file_id, step, exc, delivery.delivery_count)
        raise
    try:
        return work(message)
    except Exception as exc:
        log.warning(
            "%s failed for %s (attempt %s): %s", step, message.correlation_id, delivery.delivery_count, exc
        )
        record_failure(services, message.correlation_id, step, exc, delivery.delivery_count)
        raise
