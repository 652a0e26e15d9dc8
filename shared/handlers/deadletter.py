"""Dead-letter handlers for the step queues: archive the message with its last real error, then start
the compensations by publishing `file.failed`.

Routing is reverse order: the adaptor's queue (`file-validated`) failing means only the validator has
work to undo; the creator's queue (`file-adapted`) failing means the adaptor undoes first, and then
publishes for the validator itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from typing import Any

from shared.contracts import FileFailed, FileFailedData, PoisonMessage, decode_message
from shared.contracts.messages import CompensateTarget, FailedStep
from shared.contracts.timeline import TimelineEvent
from shared.handlers import registry
from shared.handlers.deadletter_archive import archive_name
from shared.handlers.ending import announce_or_alert
from shared.handlers.identity import is_file_id
from shared.handlers.inbound import Delivery
from shared.handlers.outcome import StepOutcome
from shared.handlers.publishing import outgoing, publish
from shared.handlers.timeline import (
    error_text,
    file_facts,
    last_error,
    read_events,
    record_event,
    stamp,
    write_terminal,
)
from shared.ports import OutgoingMessage
from shared.services import Services
from shared.signals import GAVE_UP, alert
from shared.topology import FILE_ADAPTED_QUEUE, FILE_FAILED_TOPIC, FILE_VALIDATED_QUEUE, WORKFLOW_CONTAINER

log = logging.getLogger(__name__)

# queue -> (the step that consumes it, whose compensation starts)
ROUTES: dict[str, tuple[FailedStep, CompensateTarget]] = {
    FILE_VALIDATED_QUEUE: ("adaptor", "validator"),
    FILE_ADAPTED_QUEUE: ("creator", "adaptor"),
}
UNIDENTIFIED = "_unidentified"
# Nothing dead-letters a message out of a dead-letter queue: a handler that keeps raising there is
# redelivered at once, for ever. Past this many deliveries a `file.failed` that still cannot be sent ends
# the file `failed` with needs_attention rather than looping. The count carries on from the step queue's
# MaxDeliveryCount, and each try spends the SDK's own send retries, so 50 rides out a broker outage of
# minutes (which heals by itself) while a permanent fault (topic deleted, Send right revoked) stops.
DEAD_LETTER_GIVE_UP_AFTER = 50


def handle_dead_lettered(services: Services, delivery: Delivery, queue: str) -> StepOutcome:
    """Archive a message from `<queue>/$DeadLetterQueue` and publish `file.failed`."""
    failed_step, compensate = ROUTES[queue]
    file_id, sender, blob_name = identify(services, delivery)
    error = last_error(read_events(services.blobs, file_id)) if file_id else None
    archive = archive_dead_letter(services, file_id or UNIDENTIFIED, queue, delivery, error)
    if not file_id:
        log.error("dead-lettered message %s on %s names no file; archived at %s for a person to replay",
                  delivery.message_id, queue, archive)
        return StepOutcome("unidentified", "", archive)
    note_dead_letter(services, file_id, queue, archive, delivery)
    data = FileFailedData(file_id=file_id, sender=sender, blob_name=blob_name, failed_step=failed_step,
                          reason=failure_reason(failed_step, delivery, error), error=error, archive=archive,
                          compensate=compensate)
    return publish_or_give_up(services, data, delivery, DEAD_LETTER_GIVE_UP_AFTER,
                              causation_id=delivery.message_id, source=f"{queue}/$DeadLetterQueue")


def publish_or_give_up(services: Services, data: FileFailedData, delivery: Delivery, last_attempt: int, *,
                       causation_id: str | None, source: str) -> StepOutcome:
    """Publish `file.failed`; raise to be retried, except on `last_attempt`, where the file ends `failed`
    needing attention instead of looping or being dropped, and the unsent `file.failed` is archived
    (entity `file-failed`) so that replaying it after the fix runs the compensation."""
    message = outgoing(_failed_message(services, data, causation_id, source), compensate=data.compensate)
    try:
        services.publisher.publish(FILE_FAILED_TOPIC, message)
    except Exception as exc:
        if delivery.delivery_count < last_attempt:
            raise
        problem = (f"could not publish file.failed (compensate={data.compensate}) after "
                   f"{delivery.delivery_count} attempts: {type(exc).__name__}: {exc}")
        return _give_up(services, data, message, problem)
    return StepOutcome("compensation_requested", data.file_id, data.compensate)


def _give_up(services: Services, data: FileFailedData, message: OutgoingMessage, problem: str) -> StepOutcome:
    unsent = Delivery(body=message.body, message_id=message.message_id, correlation_id=data.file_id,
                      application_properties=dict(message.application_properties),
                      dead_letter_reason="NotSent", dead_letter_error_description=problem)
    replay = archive_dead_letter(services, data.file_id, FILE_FAILED_TOPIC, unsent, None)
    alert(log, GAVE_UP, "%s for file %s; its compensation never started; replay %s after the fix",
          problem, data.file_id, replay, file_id=data.file_id)
    write_terminal(services.blobs, services.clock, data.file_id, "failed", failed_step=data.failed_step,
                   reason=data.reason, archive=data.archive, needs_attention=True,
                   compensation_failure=problem, replay=replay,
                   **registry.kept_pointer(services.blobs, data.file_id))
    announce_or_alert(services, data.file_id, give_up=True)  # the broker just refused file.failed too
    return StepOutcome("needs_attention", data.file_id, problem)


def publish_failed(services: Services, data: FileFailedData, *, causation_id: str | None,
                   source: str) -> None:
    """Send `file.failed`; `compensate` is also an application property, which the subscription rules use."""
    message = _failed_message(services, data, causation_id, source)
    publish(services, FILE_FAILED_TOPIC, message, compensate=data.compensate)


def _failed_message(services: Services, data: FileFailedData, causation_id: str | None,
                    source: str) -> FileFailed:
    return FileFailed(message_id=f"{data.file_id}:failed:{data.compensate}", correlation_id=data.file_id,
                      causation_id=causation_id, occurred_at=services.clock.now(), source=source, data=data)


def note_dead_letter(services: Services, file_id: str, entity: str, archive: str, delivery: Delivery) -> None:
    record_event(services.blobs, services.clock, file_id, "dead_lettered", entity=entity, archive=archive,
                 dead_letter_reason=delivery.dead_letter_reason, delivery_count=delivery.delivery_count)


def identify(services: Services, delivery: Delivery) -> tuple[str, str, str]:
    """(file id, sender, blob name) from the body, or from correlation_id + the timeline if it is poison."""
    try:
        message = decode_message(delivery.body)
    except PoisonMessage:
        # Only an id of the shape we mint is trusted: it becomes part of blob names and a compensation.
        file_id = delivery.correlation_id if is_file_id(delivery.correlation_id) else ""
        sender, blob_name = file_facts(read_events(services.blobs, file_id)) if file_id else ("", "")
        return file_id or "", sender, blob_name
    if not is_file_id(message.correlation_id):
        return "", "", ""
    return message.correlation_id, message.data.sender, message.data.blob_name


def failure_reason(step: str, delivery: Delivery, error: TimelineEvent | None) -> str:
    """One line for reason.json and file.failed: the broker's reason plus the real error behind it."""
    broker = delivery.dead_letter_reason or "dead-lettered"
    if error is None:
        return f"{step} failed ({broker}); no error was recorded on the timeline"
    # The recorded attempt is the step's own count; a DLQ receive adds one to the broker's count.
    attempts = error.get("attempt") or delivery.delivery_count
    return f"{step} failed ({broker} after {attempts} attempts): {error_text(error)}"


def archive_dead_letter(
    services: Services, file_id: str, entity: str, delivery: Delivery, error: TimelineEvent | None
) -> str:
    """Write `workflow/deadletter/<file id>/<entity>/<message id>.json`; returns its `workflow/…` path."""
    leaf = delivery.message_id or f"no-message-id-{hashlib.sha256(delivery.body).hexdigest()[:16]}"
    name = archive_name(file_id, entity, leaf)
    record = {
        "entity": entity, "message_id": delivery.message_id, "correlation_id": delivery.correlation_id,
        **_body_fields(delivery.body),
        "application_properties": {k: _jsonable(v) for k, v in delivery.application_properties.items()},
        "dead_letter_reason": delivery.dead_letter_reason,
        "dead_letter_error_description": delivery.dead_letter_error_description,
        "delivery_count": delivery.delivery_count, "enqueued_time": delivery.enqueued_time,
        "last_error": error, "archived_at": stamp(services.clock.now()),
    }
    services.blobs.write(WORKFLOW_CONTAINER, name, json.dumps(record, indent=2, default=str).encode("utf-8"))
    return f"{WORKFLOW_CONTAINER}/{name}"


def _body_fields(body: bytes) -> dict[str, str]:
    # Replay needs the exact bytes: text when it is UTF-8, base64 otherwise.
    try:
        return {"body": body.decode("utf-8"), "body_encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "body_encoding": "base64"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
