"""Announcing a file's end: the one seam that publishes `file.ended` on the `file-ended` topic.

Called right after every `write_terminal` and by whoever finds a terminal state already recorded (a
redelivery, `outcome.already_ended`), so a crash between recording the state and publishing is repaired
by the next delivery of the same message. Everything in the event is derived from what is stored
(terminal.json, the timeline, the report), and its `occurred_at` is the terminal state's, so every
announcement of one file has the same message id (`<file id>:ended`) and the same bytes: the topic's
duplicate detection, and idempotent subscribers, make it "exactly once" as far as anyone can tell.
A publish failure raises (the trigger retries and re-announces) and never touches the state.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from shared.contracts import FileEnded, FileEndedData
from shared.contracts.timeline import TerminalRecord, TimelineEvent
from shared.domain.ids import make_msg_id
from shared.domain.row_ids import payment_ids_by_row
from shared.handlers.blobops import base_name
from shared.handlers.claimcheck import RecordSpool
from shared.handlers.publishing import publish
from shared.handlers.timeline import file_facts, read_events, read_terminal, timeline_prefix
from shared.ports import BlobNotFound
from shared.services import Services
from shared.settings import ConfigurationError
from shared.signals import ENDING_UNANNOUNCED, alert
from shared.topology import FAILED_CONTAINER, FILE_ENDED_TOPIC, REJECTED_CONTAINER

log = logging.getLogger(__name__)
SOURCE = "FileLifecycle"


def reason_name(file_id: str) -> str:
    """`failed/<file id>/reason.json`, written by the validator's compensation (re-exported there)."""
    return f"{file_id}/reason.json"


def ended_message_id(file_id: str) -> str:
    return f"{file_id}:ended"


def issues_blob_name(file_id: str) -> str:
    """Claim-check for a long list of issues: beside the timeline, which outlives staging."""
    return f"{timeline_prefix(file_id)}ended-issues.ndjson"


def announce_ending(services: Services, file_id: str) -> bool:
    """Publish `file.ended` for the recorded terminal state; False if the file has not ended."""
    message = ended_message(services, file_id)
    if message is None:
        return False
    try:
        services.publisher.ready()
    except ConfigurationError as exc:
        # No send can ever succeed, so retrying would only hold up the file (the validator still
        # rejects files without Service Bus); the ending stands and a person is told what to set.
        alert(log, ENDING_UNANNOUNCED, "file %s ended %s but file.ended cannot be published: %s", file_id,
              message.data.state, exc, file_id=file_id)
        return False
    publish(services, FILE_ENDED_TOPIC, message, state=message.data.state)
    return True


def announce_or_alert(services: Services, file_id: str, *, give_up: bool) -> None:
    """For handlers that must not loop (a dead-letter queue never dead-letters): raise to be retried,
    except when `give_up`, where the state stays as recorded and a person is told the event is missing."""
    try:
        announce_ending(services, file_id)
    except Exception as exc:
        if not give_up:
            raise
        alert(log, ENDING_UNANNOUNCED, "file %s ended but file.ended could not be published (%s: %s); its "
              "participants (the status report) wait for the next delivery that finds the state, or a replay",
              file_id, type(exc).__name__, exc, file_id=file_id)


def ended_message(services: Services, file_id: str) -> FileEnded | None:
    """The `file.ended` message for a file's terminal state, or None if it has none."""
    terminal = read_terminal(services.blobs, file_id)
    if terminal is None:
        return None
    events = read_events(services.blobs, file_id)
    sender, blob_name = file_facts(events)
    sender = str(terminal.get("sender") or sender)
    blob_name = str(terminal.get("blob_name") or blob_name)
    state = str(terminal.get("state"))
    facts = _facts(services, file_id, terminal, events, blob_name)
    issues = facts.pop("issues")
    with RecordSpool(services.blobs, issues_blob_name(file_id), services.claim_check_threshold) as spool:
        for issue in issues:
            spool.add(issue)
        payload = spool.to_payload()
    data = FileEndedData.model_validate({"file_id": file_id, "state": state, "sender": sender,
                                         "blob_name": blob_name, "issues": payload, **facts})
    return FileEnded(message_id=ended_message_id(file_id), correlation_id=file_id,
                     causation_id=f"{file_id}:{state}", occurred_at=_when(terminal), source=SOURCE, data=data)


def _facts(services: Services, file_id: str, terminal: TerminalRecord, events: list[TimelineEvent],
           blob_name: str) -> dict[str, Any]:
    """The state's own fields of `FileEndedData`, with `issues` as plain records."""
    state = terminal.get("state")
    if state == "delivered":
        validated: dict[str, Any] = next((e for e in reversed(events) if e.get("event") == "validated"), {})
        warnings = [_issue("warning", w) for w in validated.get("warnings") or []]
        return {"evidence": terminal.get("output"), "msg_id": make_msg_id(file_id),
                "nb_of_txs": validated.get("row_count"), "ctrl_sum": validated.get("control_sum"),
                "issues": warnings}
    if state == "failed":
        written = services.blobs.exists(FAILED_CONTAINER, reason_name(file_id))  # not if compensation gave up
        return {"evidence": f"{FAILED_CONTAINER}/{reason_name(file_id)}" if written else None,
                "failed_step": terminal.get("failed_step"), "reason": terminal.get("reason"),
                "needs_attention": bool(terminal.get("needs_attention")), "issues": []}
    if state == "duplicate":
        return {"evidence": terminal.get("report"), "duplicate_of": terminal.get("duplicate_of"),
                "issues": []}
    report = _read_report(services, file_id)
    errors = [_issue("error", e) for e in report.get("errors") or []]
    _name_payments(services, file_id, blob_name, errors)
    return {"evidence": terminal.get("report"), "error_count": int(report.get("error_count") or len(errors)),
            "issues": errors}


def _issue(severity: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {"severity": severity, "row": entry.get("row"), "column": entry.get("column"),
            "code": str(entry.get("code") or "unknown"), "message": str(entry.get("message") or ""),
            "payment_id": entry.get("payment_id"), "before": entry.get("before"),
            "after": entry.get("after"), "rows": int(entry.get("rows") or 1)}


def _read_report(services: Services, file_id: str) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(services.blobs.read(REJECTED_CONTAINER, f"{file_id}/report.json"))
    except BlobNotFound:
        log.warning("file %s: report.json is missing; announcing its end without its errors", file_id)
        return {}
    return report


def _name_payments(services: Services, file_id: str, blob_name: str, errors: list[dict[str, Any]]) -> None:
    """Add each row error's payment_id, read back from the rejected original."""
    rows = {e["row"] for e in errors if isinstance(e.get("row"), int) and not e.get("payment_id")}
    if not rows or not blob_name:
        return
    try:
        reader = services.blobs.open_reader(REJECTED_CONTAINER, f"{file_id}/{base_name(blob_name)}")
    except BlobNotFound:
        return
    try:
        ids = payment_ids_by_row(reader.stream, rows)
    finally:
        reader.stream.close()
    for error in errors:
        row = error.get("row")
        error["payment_id"] = error.get("payment_id") or (ids.get(row) if isinstance(row, int) else None)


def _when(terminal: TerminalRecord) -> datetime:
    return datetime.fromisoformat(str(terminal["occurred_at"]).replace("Z", "+00:00"))
