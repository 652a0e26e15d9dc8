"""FileNotifier's work: `file.ended` → one POST to the webhook in `NOTIFIER_WEBHOOK_URL`.

The worked example of a participant (docs/architecture.md, "How to add a participant"): it reads only
the event and tells someone outside, so it can fail, retry and dead-letter without any file's state
noticing. At-least-once: a redelivery posts again with the same `Idempotency-Key` (the event's message
id), which is how a receiver drops the copy.
"""

from __future__ import annotations

import json
import logging

from shared.contracts import FileEnded
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.outcome import StepOutcome
from shared.handlers.report_location import report_path
from shared.services import Services

log = logging.getLogger(__name__)
STEP = "notifier"


def handle_ending_notification(services: Services, delivery: Delivery) -> StepOutcome:
    """Post the ending; raises (after recording `step_failed`) when the receiver fails, so it is retried."""
    return run_step(services, delivery, STEP, FileEnded, lambda message: _notify(services, message))


def notification(message: FileEnded) -> dict[str, object]:
    """What the receiver gets: the state and where to look, not the payments."""
    data = message.data
    return {"type": message.type, "file_id": data.file_id, "state": data.state, "sender": data.sender,
            "blob_name": data.blob_name, "ended_at": message.model_dump(mode="json")["occurred_at"],
            "evidence": data.evidence, "status_report": report_path(data.sender, data.file_id),
            "error_count": data.error_count, "duplicate_of": data.duplicate_of,
            "failed_step": data.failed_step}


def _notify(services: Services, message: FileEnded) -> StepOutcome:
    if services.webhook is None:
        return StepOutcome("skipped", message.data.file_id, "NOTIFIER_WEBHOOK_URL is not set")
    body = json.dumps(notification(message), separators=(",", ":")).encode("utf-8")
    services.webhook.post_json(body, idempotency_key=message.message_id)
    return StepOutcome("notified", message.data.file_id, message.data.state)
