"""The reporter's dead-letter queue: archive the `file.ended` with the reporter's last real error, alert.

The file's terminal state is never changed (the payments are what they are; only the report is
missing). Replaying the archived message after the fix (`python -m localdev.replay FILE_ID --entity
file-ended/reporter`) makes the report.
"""

from __future__ import annotations

import logging

from shared.handlers.deadletter import UNIDENTIFIED, archive_dead_letter, identify, note_dead_letter
from shared.handlers.inbound import Delivery
from shared.handlers.outcome import StepOutcome
from shared.handlers.timeline import last_error, read_events
from shared.services import Services
from shared.topology import FILE_ENDED_TOPIC, REPORTER_SUBSCRIPTION

log = logging.getLogger(__name__)
ENTITY = f"{FILE_ENDED_TOPIC}/{REPORTER_SUBSCRIPTION}"


def handle_report_dead_lettered(services: Services, delivery: Delivery) -> StepOutcome:
    """Archive under `workflow/deadletter/<file id>/file-ended/reporter/…` and raise an ERROR alert."""
    file_id, _, _ = identify(services, delivery)
    error = last_error(read_events(services.blobs, file_id)) if file_id else None
    archive = archive_dead_letter(services, file_id or UNIDENTIFIED, ENTITY, delivery, error)
    cause = f"{error.get('error_type')}: {error.get('error_message')}" if error else "no error was recorded"
    log.error("ALERT: the status report of file %s was not written (%s; %s); archived at %s for a replay",
              file_id or "(unknown)", delivery.dead_letter_reason or "dead-lettered", cause, archive)
    if file_id:
        note_dead_letter(services, file_id, ENTITY, archive, delivery)
    return StepOutcome("report_missing", file_id, archive)
