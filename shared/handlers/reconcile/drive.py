"""Driving one incoming blob through the validator's normal path, once, and saying so on its timeline."""

from __future__ import annotations

import logging

from shared.handlers.identity import incoming_file_id, normalise_etag
from shared.handlers.reconcile.claims import claim, forget_sighting
from shared.handlers.reconcile.policy import ReconcileReport
from shared.handlers.timeline import read_events, record_event, trace_of
from shared.handlers.validator import handle_incoming_file
from shared.ports import BlobNotFound
from shared.services import Services
from shared.telemetry import resume_file_trace
from shared.topology import INCOMING_CONTAINER, WORKFLOW_CONTAINER

log = logging.getLogger(__name__)


def current_version(services: Services, blob_name: str) -> str | None:
    """The ETag of `incoming/<blob_name>` now (one HEAD, never the bytes), or None when it is gone."""
    try:
        return normalise_etag(services.blobs.etag(INCOMING_CONTAINER, blob_name))
    except BlobNotFound:
        return None


def has_timeline(services: Services, file_id: str) -> bool:
    events = services.blobs.list_names(WORKFLOW_CONTAINER, f"timeline/{file_id}/events/")
    return next(events, None) is not None


def drive_through_validator(services: Services, blob_name: str, etag: str, *, act: str, reason: str,
                            report: ReconcileReport) -> bool:
    """Claim `act` for this blob version, record it, run the validator; False if another run had claimed it.

    The `reconciled` event comes first, so a crash right after it leaves an open timeline that the
    stalled-file sweep picks up. A validator failure is already on the timeline (`step_failed`); it is
    logged here and left to the next sweep, never raised, so one bad file cannot stop the run.
    """
    file_id = incoming_file_id(blob_name, etag)
    if not claim(services.blobs, services.clock, f"claims/{file_id}/{act}.json", blob_name=blob_name):
        return False
    with resume_file_trace(f"Reconciler.{act}", file_id, trace_of(read_events(services.blobs, file_id))):
        _drive(services, blob_name, etag, file_id, act=act, reason=reason, report=report)
    return True


def _drive(services: Services, blob_name: str, etag: str, file_id: str, *, act: str, reason: str,
           report: ReconcileReport) -> None:
    record_event(services.blobs, services.clock, file_id, "reconciled", action=act, reason=reason,
                 blob_name=blob_name, etag=etag)
    log.warning("reconciler: %s; driving incoming/%s (file %s) through the validator", reason, blob_name,
                file_id, extra={"file_id": file_id, "reconcile_action": act})
    try:
        outcome = handle_incoming_file(services, blob_name, etag)
    except Exception as exc:
        report.errors.append(f"{file_id}: {type(exc).__name__}: {exc}")
        log.error("reconciler: the validator failed for file %s (%s: %s); the next sweep retries",
                  file_id, type(exc).__name__, exc, extra={"file_id": file_id})
        return
    forget_sighting(services.blobs, file_id)
    log.info("reconciler: file %s -> %s", file_id, outcome.state, extra={"file_id": file_id})
