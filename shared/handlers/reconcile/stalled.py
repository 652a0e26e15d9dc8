"""Files whose timeline has not moved for `stalled_after`: re-drive, or fail and compensate.

The work list is `workflow/open/` (a marker per file whose timeline started and has not ended), read
from a cursor so that a long list is covered over several runs at `max_files` each. For a stalled file:
* attempt 1, when no step got past the validator and its original is still in `incoming/` at the version
  it received: run the validator again (its normal path; idempotent);
* otherwise: archive what the reconciler saw and publish `file.failed` for the step after the last one
  that finished, through the same `publish_or_give_up` as the dead-letter handlers, so the normal
  compensations end the file `failed` (or `delivered`, if the creator had already committed to it);
* after `max_attempts`, an ALERT and a `needs_attention` event; the file is left for a person.
Each attempt is claimed (`claims/<file id>/stalled-<n>.json`) and recorded as a `reconciled` event, which
also moves the timeline, so the next attempt waits `stalled_after` again.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from itertools import chain, islice
from typing import Literal

from shared.contracts import FileFailedData
from shared.contracts.messages import CompensateTarget, FailedStep
from shared.contracts.timeline import TimelineEvent
from shared.handlers.deadletter import archive_dead_letter, publish_or_give_up
from shared.handlers.inbound import Delivery
from shared.handlers.reconcile.claims import claim, count, read_cursor, write_cursor
from shared.handlers.reconcile.drive import current_version, drive_through_validator
from shared.handlers.reconcile.policy import ReconcilePolicy, ReconcileReport
from shared.handlers.timeline import (
    close_open_marker,
    last_error,
    read_events,
    read_terminal,
    record_event,
    trace_of,
)
from shared.services import Services
from shared.signals import RECONCILER_GAVE_UP, alert
from shared.telemetry import resume_file_trace
from shared.topology import WORKFLOW_CONTAINER

log = logging.getLogger(__name__)
OPEN_PREFIX = "open/"
RECONCILER_ENTITY = "reconciler"


def repair_stalled_files(services: Services, policy: ReconcilePolicy, report: ReconcileReport) -> None:
    for file_id in _this_runs_share(services, policy.max_files):
        try:
            _examine(services, policy, report, file_id)
        except Exception as exc:  # one file's storage error must not stop the sweep of the others
            report.errors.append(f"{file_id}: {type(exc).__name__}: {exc}")
            log.exception("reconciler: examining file %s failed; the next run retries", file_id,
                          extra={"file_id": file_id})


def _this_runs_share(services: Services, limit: int) -> list[str]:
    """Up to `limit` open file ids after the cursor, wrapping round; the cursor moves to the last one."""
    names = [n.removeprefix(OPEN_PREFIX).removesuffix(".json")
             for n in services.blobs.list_names(WORKFLOW_CONTAINER, OPEN_PREFIX)]
    after = read_cursor(services.blobs)
    later = [n for n in names if n > after]
    share = list(islice(chain(later, (n for n in names if n <= after)), limit))
    if share:
        write_cursor(services.blobs, share[-1] if len(names) > limit else "")
    return share


def _examine(services: Services, policy: ReconcilePolicy, report: ReconcileReport, file_id: str) -> None:
    if read_terminal(services.blobs, file_id) is not None:
        close_open_marker(services.blobs, file_id)  # it ended after its marker was (re)written
        report.open_closed += 1
        return
    events = read_events(services.blobs, file_id, None)  # no terminal state, as just read
    moved = _last_moved(events)
    if moved is None:
        close_open_marker(services.blobs, file_id)  # a marker without a timeline: nothing to watch
        report.open_closed += 1
        return
    idle = services.clock.now() - moved
    if idle < policy.stalled_after:
        return
    attempt = count(services.blobs, f"claims/{file_id}/stalled-") + 1
    if attempt > policy.max_attempts:
        _give_up(services, report, file_id, events, attempt - 1)
        return
    if not claim(services.blobs, services.clock, f"claims/{file_id}/stalled-{attempt}.json"):
        return  # another instance took this attempt
    facts = _facts(events)
    reason = (f"no progress for {int(idle.total_seconds() // 60)} min after '{events[-1].get('event')}' "
              f"(attempt {attempt} of {policy.max_attempts})")
    if attempt == 1 and _can_revalidate(services, events, facts):
        _revalidate(services, report, file_id, facts, reason)
        return
    with resume_file_trace("Reconciler.fail", file_id, trace_of(events)):
        _fail_and_compensate(services, report, file_id, events, facts, reason=reason, attempt=attempt,
                             max_attempts=policy.max_attempts)


def _last_moved(events: list[TimelineEvent]) -> datetime | None:
    stamps = [datetime.fromisoformat(str(e["occurred_at"]).replace("Z", "+00:00"))
              for e in events if e.get("occurred_at")]
    return max(stamps, default=None)


def _facts(events: list[TimelineEvent]) -> dict[str, str]:
    """sender, blob_name and etag from the first event that has them (`received`, or the reconciler's)."""
    def first(key: Literal["sender", "blob_name", "etag"]) -> str:
        return next((event[key] for event in events if event.get(key)), "")

    facts = {"sender": first("sender"), "blob_name": first("blob_name"), "etag": first("etag")}
    if not facts["sender"] and "/" in facts["blob_name"]:
        facts["sender"] = facts["blob_name"].split("/", 1)[0]
    return facts


def _progress(events: list[TimelineEvent]) -> set[str]:
    return {str(e.get("event")) for e in events}


def _can_revalidate(services: Services, events: list[TimelineEvent], facts: dict[str, str]) -> bool:
    if "validated" in _progress(events) or not facts["blob_name"] or not facts["etag"]:
        return False
    return current_version(services, facts["blob_name"]) == facts["etag"]


def _revalidate(services: Services, report: ReconcileReport, file_id: str, facts: dict[str, str],
                reason: str) -> None:
    if drive_through_validator(services, facts["blob_name"], facts["etag"], act="stalled-revalidate",
                               reason=reason, report=report):
        report.stalled_redriven += 1


def _route(events: list[TimelineEvent]) -> tuple[FailedStep, CompensateTarget]:
    """The step after the last that finished, and whose compensation starts (as the DLQ handlers route)."""
    done = _progress(events)
    adaptor_undone = any(e.get("event") == "compensated" and e.get("step") == "adaptor" for e in events)
    if "adapted" in done and not adaptor_undone:
        return ("creator", "adaptor")
    return ("adaptor", "validator") if "validated" in done else ("validator", "validator")


def _fail_and_compensate(services: Services, report: ReconcileReport, file_id: str,
                         events: list[TimelineEvent], facts: dict[str, str], *, reason: str, attempt: int,
                         max_attempts: int) -> None:
    failed_step, compensate = _route(events)
    record_event(services.blobs, services.clock, file_id, "reconciled", action="fail", reason=reason,
                 failed_step=failed_step, compensate=compensate, attempt=attempt)
    seen = {"file_id": file_id, "reason": reason, "events": [e.get("event") for e in events]}
    delivery = Delivery(body=json.dumps(seen).encode(), message_id=f"{file_id}-stalled-{attempt}",
                        correlation_id=file_id, delivery_count=attempt, dead_letter_reason="Stalled",
                        dead_letter_error_description=reason, entity=RECONCILER_ENTITY)
    error = last_error(events)
    archive = archive_dead_letter(services, file_id, RECONCILER_ENTITY, delivery, error)
    data = FileFailedData(file_id=file_id, sender=facts["sender"], blob_name=facts["blob_name"],
                          failed_step=failed_step, reason=f"{failed_step} stalled: {reason}", error=error,
                          archive=archive, compensate=compensate, etag=facts["etag"] or None)
    log.warning("reconciler: file %s stalled (%s); sending it to the %s compensation", file_id, reason,
                compensate, extra={"file_id": file_id, "reconcile_action": "fail"})
    try:
        publish_or_give_up(services, data, delivery, max_attempts, causation_id=None, source="Reconciler")
    except Exception as exc:
        report.errors.append(f"{file_id}: {type(exc).__name__}: {exc}")
        log.error("reconciler: could not publish file.failed for file %s (%s); attempt %d of %d",
                  file_id, exc, attempt, max_attempts, extra={"file_id": file_id})
    report.stalled_failed += 1


def _give_up(services: Services, report: ReconcileReport, file_id: str, events: list[TimelineEvent],
             attempts: int) -> None:
    if claim(services.blobs, services.clock, f"claims/{file_id}/gave-up.json"):
        record_event(services.blobs, services.clock, file_id, "needs_attention", step="reconciler",
                     reason=f"still no terminal state after {attempts} reconciler attempts")
        alert(log, RECONCILER_GAVE_UP, "reconciler gave up on file %s after %d attempts (last event '%s'); a "
              "person must look at its timeline (status %s)", file_id, attempts, events[-1].get("event"),
              file_id, file_id=file_id)
        report.gave_up += 1
