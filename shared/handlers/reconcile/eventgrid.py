"""Event Grid's dead-lettered events: each blob in `eventgrid-deadletter` holds a JSON array of events
Event Grid gave up delivering (`deadLetterReason`, `deliveryAttempts`, the original event). A
`BlobCreated` under `incoming/` is driven through the validator now (no need to wait: the event is known
lost); the dead-letter blob is then deleted, so each event is counted once. An unreadable one is left
in place and logged for a person (it is counted every run until someone looks).
"""

from __future__ import annotations

import json
import logging
from itertools import islice
from typing import Any

from shared.handlers.identity import incoming_file_id, normalise_etag
from shared.handlers.reconcile.claims import claim
from shared.handlers.reconcile.drive import current_version, drive_through_validator, has_timeline
from shared.handlers.reconcile.policy import ReconcilePolicy, ReconcileReport
from shared.ports import BlobNotFound
from shared.services import Services
from shared.signals import EVENTGRID_UNREADABLE, alert
from shared.topology import EVENTGRID_DEADLETTER_CONTAINER, INCOMING_CONTAINER

log = logging.getLogger(__name__)
BLOB_CREATED = "Microsoft.Storage.BlobCreated"
SUBJECT_PREFIX = f"/blobServices/default/containers/{INCOMING_CONTAINER}/blobs/"


def lost_blob(event: dict[str, Any]) -> tuple[str, str] | None:
    """(blob name, ETag) of a dead-lettered BlobCreated under incoming/, in either event schema."""
    kind = event.get("eventType") or event.get("type")
    subject = str(event.get("subject") or "")
    raw = event.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if kind != BLOB_CREATED or not subject.startswith(SUBJECT_PREFIX):
        return None
    return subject.removeprefix(SUBJECT_PREFIX), normalise_etag(str(data.get("eTag") or ""))


def parse_dead_letter_blob(data: bytes) -> list[dict[str, Any]]:
    document = json.loads(data)
    events = document if isinstance(document, list) else [document]
    if not all(isinstance(e, dict) for e in events):
        raise ValueError("expected a JSON array of Event Grid events")
    return events


def handle_eventgrid_dead_letters(services: Services, policy: ReconcilePolicy,
                                  report: ReconcileReport) -> None:
    for name in islice(services.blobs.list_names(EVENTGRID_DEADLETTER_CONTAINER), policy.max_files):
        try:
            events = parse_dead_letter_blob(services.blobs.read(EVENTGRID_DEADLETTER_CONTAINER, name))
        except BlobNotFound:
            continue  # another instance finished it
        except (ValueError, UnicodeDecodeError) as exc:
            report.eventgrid_unreadable += 1
            alert(log, EVENTGRID_UNREADABLE, "eventgrid-deadletter/%s is not a JSON array of events (%s); "
                  "look at it and delete it when done", name, exc)
            continue
        if claim(services.blobs, services.clock, f"eventgrid/{name}", events=len(events)):
            for event in events:
                report.eventgrid_dead_lettered += 1
                _drive(services, event, report)
        services.blobs.delete(EVENTGRID_DEADLETTER_CONTAINER, name)


def _drive(services: Services, event: dict[str, Any], report: ReconcileReport) -> None:
    lost = lost_blob(event)
    if lost is None:
        log.warning("reconciler: dead-lettered event %s (%s) is not a BlobCreated under incoming/; counted "
                    "and dropped", event.get("id"), event.get("eventType") or event.get("type"))
        return
    blob_name, etag = lost
    reason = (f"Event Grid dead-lettered the BlobCreated event ({event.get('deadLetterReason', 'unknown')} "
              f"after {event.get('deliveryAttempts', '?')} attempts)")
    version = current_version(services, blob_name)
    if version is None or (etag and version != etag):
        # Gone (processed after all) or replaced (the new version has its own event, or the sweep).
        log.info("reconciler: %s for incoming/%s, which is gone or replaced; nothing to do", reason,
                 blob_name)
        return
    if has_timeline(services, incoming_file_id(blob_name, version)):
        return  # the event was late, not lost: the validator has it
    drive_through_validator(services, blob_name, version, act="eventgrid", reason=reason, report=report)
