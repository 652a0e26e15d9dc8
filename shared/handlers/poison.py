"""The blob trigger's poison queue: a file whose validator crashed `poisonBlobThreshold` times.

The host writes `{"Type":"BlobTrigger","FunctionId":…,"BlobType":…,"ContainerName":…,"BlobName":…,
"ETag":…}` to `webjobs-blobtrigger-poison`. The ETag gives the same file id the validator used, so the
archive, the timeline and the compensation all line up. The original is still in `incoming/`; the
validator's compensation moves it to `failed/`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace

from shared.contracts import FileFailedData, PoisonMessage
from shared.contracts.timeline import TimelineEvent
from shared.handlers.deadletter import (
    archive_dead_letter,
    failure_reason,
    note_dead_letter,
    publish_or_give_up,
)
from shared.handlers.identity import incoming_file_id, normalise_etag, sender_or_none
from shared.handlers.inbound import Delivery
from shared.handlers.outcome import StepOutcome
from shared.handlers.timeline import last_error, read_events, trace_of
from shared.services import Services
from shared.telemetry import resume_file_trace
from shared.topology import BLOB_POISON_QUEUE, INCOMING_CONTAINER

log = logging.getLogger(__name__)
REQUIRED_KEYS = ("ContainerName", "BlobName", "ETag")
POISON_REASON = "PoisonBlobThresholdExceeded"
# host.json `extensions.queues.maxDequeueCount`: after this the host moves the notice to
# `webjobs-blobtrigger-poison-poison`, which nothing reads, so the last try must not raise.
POISON_QUEUE_MAX_DEQUEUE = 5


@dataclass(frozen=True)
class PoisonNotice:
    function_id: str
    container: str
    blob_name: str
    etag: str


def parse_poison_notice(body: bytes | str) -> PoisonNotice:
    """Read the host's notice; raise `PoisonMessage` naming exactly what is wrong with it."""
    try:
        notice = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PoisonMessage(f"blob poison notice is not valid JSON: {exc}") from None
    if not isinstance(notice, dict):
        raise PoisonMessage(f"blob poison notice must be a JSON object, got {type(notice).__name__}")
    missing = [key for key in REQUIRED_KEYS if not isinstance(notice.get(key), str) or not notice.get(key)]
    if missing:
        raise PoisonMessage(
            f"blob poison notice lacks {', '.join(missing)} (expected the host's BlobTrigger notice)"
        )
    if notice["ContainerName"] != INCOMING_CONTAINER:
        raise PoisonMessage(
            f"blob poison notice is for container {notice['ContainerName']!r}; "
            f"only {INCOMING_CONTAINER!r} has a blob trigger in this app"
        )
    return PoisonNotice(
        str(notice.get("FunctionId", "")),
        notice["ContainerName"],
        notice["BlobName"],
        normalise_etag(notice["ETag"]),
    )


def handle_blob_poison(services: Services, delivery: Delivery) -> StepOutcome:
    """Archive the notice with the validator's last error and publish `file.failed` (compensate=validator)."""
    notice = parse_poison_notice(delivery.body)
    file_id = incoming_file_id(notice.blob_name, notice.etag)
    events = read_events(services.blobs, file_id)
    # The host's poison notice carries no trace context; the validator's attempts recorded theirs.
    with resume_file_trace("BlobPoison", file_id, trace_of(events)):
        return _send_to_compensation(services, delivery, notice, file_id, events)


def _send_to_compensation(services: Services, delivery: Delivery, notice: PoisonNotice, file_id: str,
                          events: list[TimelineEvent]) -> StepOutcome:
    sender, _ = sender_or_none(notice.blob_name)
    error = last_error(events)
    attempts = sum(1 for e in events if e.get("event") == "step_failed" and e.get("step") == "validator")
    # Archived under the blob version, with the host's threshold as the reason the broker would give.
    keyed = replace(delivery, message_id=f"{notice.etag}-{delivery.message_id or 'notice'}",
                    dead_letter_reason=POISON_REASON, delivery_count=attempts or delivery.delivery_count)
    archive = archive_dead_letter(services, file_id, BLOB_POISON_QUEUE, keyed, error)
    note_dead_letter(services, file_id, BLOB_POISON_QUEUE, archive, keyed)
    data = FileFailedData(file_id=file_id, sender=sender or "", blob_name=notice.blob_name,
                          failed_step="validator",
                          reason=failure_reason("validator", keyed, error), error=error, archive=archive,
                          compensate="validator", etag=notice.etag)
    log.warning("blob incoming/%s hit the poison threshold; sending file %s to compensation",
                notice.blob_name, file_id)
    return publish_or_give_up(services, data, delivery, POISON_QUEUE_MAX_DEQUEUE,
                              causation_id=delivery.message_id, source="BlobPoison")
