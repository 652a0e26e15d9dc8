"""A file's journey for the HTTP status function and the `status` command: timeline, terminal state, and
the answer a person wants: why it was rejected (the first errors and a count), what it duplicates, why it
failed (the step, the reason, the last real error), and the warnings recorded while it was accepted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.contracts.timeline import FileState, FileStatus, TimelineEvent
from shared.handlers.identity import is_file_id
from shared.handlers.report_location import report_summary
from shared.handlers.timeline import error_text, last_error, read_events, read_terminal
from shared.ports import BlobNotFound, BlobStore

__all__ = ["FIRST_ERRORS", "file_status", "is_file_id", "read_report", "summarise"]

FIRST_ERRORS = 10  # enough to start fixing the file; the report has them all


def file_status(blobs: BlobStore, file_id: str, *, details: bool = True) -> FileStatus | None:
    """`{file_id, state, terminal, events, summary}`, state `in_progress` until terminal (or `superseded`:
    the version was replaced or deleted before it could be read to its end); None if never seen.
    `details=False` skips the summary (and the report read it may need), for pollers."""
    terminal = read_terminal(blobs, file_id)
    events = read_events(blobs, file_id, terminal)
    if not events and terminal is None:
        return None
    state: FileState
    if terminal:
        state = terminal["state"]
    else:
        state = "superseded" if events and events[-1].get("event") == "superseded" else "in_progress"
    status: FileStatus = {"file_id": file_id, "state": state, "terminal": terminal, "events": events}
    if details:
        status["summary"] = summarise(blobs, state, terminal or {}, events)
    return status


def summarise(blobs: BlobStore, state: str, terminal: Mapping[str, Any], events: list[TimelineEvent]
              ) -> dict[str, Any]:  # fmt: skip
    """What to tell the sender or the operator, by state; never raises for a missing or odd report."""
    summary: dict[str, Any] = {}
    warnings = [w for e in events for w in (e.get("warnings") or [])]
    if warnings:
        summary["warnings"] = warnings
    last_error = _last_error(events)
    summary.update(report_summary(blobs, terminal, events))  # the sender's pain.002, once the file ended
    if state in ("rejected", "duplicate"):
        report = read_report(blobs, terminal)
        if state == "rejected":
            errors = list(report.get("errors") or [])
            summary["error_count"] = int(report.get("error_count", terminal.get("error_count", len(errors))))
            summary["errors"] = errors[:FIRST_ERRORS]
            if report.get("duplicate_payments"):  # payments another file already holds: name each one
                summary["duplicate_payments"] = report["duplicate_payments"]
                summary["duplicate_of"] = report.get("duplicate_of")
        else:
            summary["duplicate_of"] = report.get("duplicate_of", terminal.get("duplicate_of"))
            for key in ("message", "duplicate_payments"):
                if key in report:
                    summary[key] = report[key]
    elif state == "failed":
        for key in ("failed_step", "reason", "needs_attention", "compensation_failure"):
            if terminal.get(key) not in (None, ""):
                summary[key] = terminal[key]
        if last_error:
            summary["last_error"] = last_error
    elif state == "in_progress" and last_error:
        summary["last_error"] = last_error  # still being retried: say what keeps failing
    return summary


def _last_error(events: list[TimelineEvent]) -> str | None:
    event = last_error(events)
    if event is None:
        return None
    return f"{event.get('step')}: {error_text(event)}"


def read_report(blobs: BlobStore, terminal: Mapping[str, Any]) -> dict[str, Any]:
    """The rejection or duplicate report a terminal state points to (`rejected/<file id>/report.json`);
    empty when there is none or it cannot be read."""
    container, _, name = str(terminal.get("report") or "").partition("/")
    if not container or not name:
        return {}
    try:
        loaded = json.loads(blobs.read(container, name))
    except (BlobNotFound, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}
