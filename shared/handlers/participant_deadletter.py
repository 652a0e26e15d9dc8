"""Dead-letter queues of the `file-ended` participants: archive the `file.ended` with the participant's last
real error, and alert. Nothing else.

A participant only tells someone about an ending (the sender's pain.002, a webhook), so its giving up
never changes the file's terminal state: the payments are what they are; only the telling is missing.
Replaying the archived message after the fix (`python -m ops replay FILE_ID --entity
file-ended/<subscription>`) sends it to the topic again, and idempotent participants ignore what they did.
"""

from __future__ import annotations

import logging

from shared.handlers.deadletter import UNIDENTIFIED, archive_dead_letter, identify, note_dead_letter
from shared.handlers.inbound import Delivery
from shared.handlers.outcome import StepOutcome
from shared.handlers.timeline import error_text, last_error, read_events
from shared.services import Services
from shared.signals import PARTICIPANT_GAVE_UP, alert
from shared.topology import FILE_ENDED_TOPIC

log = logging.getLogger(__name__)


def handle_participant_dead_lettered(services: Services, delivery: Delivery,
                                     subscription: str) -> StepOutcome:
    """Archive under `workflow/deadletter/<file id>/file-ended/<subscription>/…`; an ERROR alert."""
    entity = f"{FILE_ENDED_TOPIC}/{subscription}"
    file_id, _, _ = identify(services, delivery)
    # The newest step_failed of this participant: another's (or a pipeline step's) is not its cause.
    events = read_events(services.blobs, file_id) if file_id else []
    error = last_error([e for e in events if e.get("step") == subscription])
    archive = archive_dead_letter(services, file_id or UNIDENTIFIED, entity, delivery, error)
    cause = error_text(error) if error else "no error was recorded"
    reason = delivery.dead_letter_reason or "dead-lettered"
    alert(log, PARTICIPANT_GAVE_UP, "%s gave up on file %s (%s; %s); archived at %s for a replay; the file's "
          "state stands", subscription, file_id or "(unknown)", reason, cause, archive, file_id=file_id or "")
    if file_id:
        note_dead_letter(services, file_id, entity, archive, delivery)
    return StepOutcome("gave_up", file_id, archive)
