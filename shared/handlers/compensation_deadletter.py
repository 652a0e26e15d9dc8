"""Dead-letter handlers for the compensation subscriptions: the end of the line.

A compensation that kept failing is archived, raised as an ERROR-level alert, and the file is recorded
`failed` with `needs_attention`. It never publishes anything, so a broken compensation cannot loop.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.handlers import registry
from shared.handlers.deadletter import (
    DEAD_LETTER_GIVE_UP_AFTER,
    UNIDENTIFIED,
    archive_dead_letter,
    failure_reason,
    identify,
    note_dead_letter,
)
from shared.handlers.ending import announce_or_alert
from shared.handlers.inbound import Delivery
from shared.handlers.outcome import StepOutcome
from shared.handlers.timeline import annotate_terminal, last_error, read_events, write_terminal
from shared.services import Services
from shared.signals import COMPENSATION_FAILED, alert
from shared.topology import FILE_FAILED_TOPIC

log = logging.getLogger(__name__)


def handle_compensation_dead_lettered(
    services: Services, delivery: Delivery, subscription: str
) -> StepOutcome:
    """Archive, alert, and end the file `failed` with needs_attention; never publish."""
    entity = f"{FILE_FAILED_TOPIC}/{subscription}"
    file_id, _, _ = identify(services, delivery)
    error = last_error(read_events(services.blobs, file_id)) if file_id else None
    archive = archive_dead_letter(services, file_id or UNIDENTIFIED, entity, delivery, error)
    reason = failure_reason(subscription, delivery, error)
    alert(log, COMPENSATION_FAILED, "compensation %s dead-lettered for file %s: %s; archived at %s; needs "
          "attention", subscription, file_id or "(unknown)", reason, archive, file_id=file_id or "")
    if not file_id:
        return StepOutcome("unidentified", "", archive)
    note_dead_letter(services, file_id, entity, archive, delivery)
    attention: dict[str, Any] = {"needs_attention": True, "compensation_failure": reason,
                                 "compensation_archive": archive}
    # The compensation claims `failed` before undoing anything, so the file may already be `failed`
    # without the flag: add it to that record (the state itself never changes).
    if not write_terminal(services.blobs, services.clock, file_id, "failed", failed_step=subscription,
                          reason=reason, archive=archive, **attention,
                          **registry.kept_pointer(services.blobs, file_id)):
        annotate_terminal(services.blobs, file_id, "failed", **attention)
    announce_or_alert(services, file_id, give_up=delivery.delivery_count >= DEAD_LETTER_GIVE_UP_AFTER)
    return StepOutcome("needs_attention", file_id, reason)
