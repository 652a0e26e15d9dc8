"""Announcing a file's end: the one seam that publishes `file.ended` on the `file-ended` topic.

Called right after every `write_terminal` and by whoever finds a terminal state already recorded (a
redelivery, `outcome.already_ended`), so a crash between recording the state and publishing is repaired
by the next delivery of the same message. The writer of the state passes what it has in hand (the
record it wrote, the report, the totals and warnings of `file.adapted`), so the happy path reads nothing;
whoever only finds the state rebuilds the same facts from what is stored (terminal.json, the timeline,
the report). Its `occurred_at` is the terminal state's, so every announcement of one file has the same
message id (`<file id>:ended`) and the same bytes: the topic's duplicate detection, and idempotent
subscribers, make it "exactly once" as far as anyone can tell.
A publish failure raises (the trigger retries and re-announces) and never touches the state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from shared.contracts import FileAdaptedData, FileEnded, FileEndedData
from shared.contracts.timeline import TerminalRecord, TimelineEvent
from shared.domain.ids import make_msg_id
from shared.domain.row_ids import payment_ids_by_row
from shared.handlers.blobops import base_name
from shared.handlers.claimcheck import SPOOLED_SUFFIX, RecordSpool
from shared.handlers.publishing import publish
from shared.handlers.status import read_report
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
    return f"{timeline_prefix(file_id)}ended-issues{SPOOLED_SUFFIX}"


def announce_ending(services: Services, file_id: str, known: Ending | None = None) -> bool:
    """Publish `file.ended` for the recorded terminal state; False if the file has not ended. `known` is
    the ending as its writer has it in hand (nothing read back); without it, it is read from storage."""
    message = ended_message(services, file_id, known)
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


@dataclass(frozen=True)
class Ending:
    """What `file.ended` says before it is encoded: the terminal record, the file's sender and name, and
    the state's own fields of `FileEndedData` (`issues` as plain records). The writer of a terminal state
    builds it from what it has in hand (`delivered_ending`, `refused_ending`), so the happy path reads
    nothing back; `stored_ending` rebuilds it from storage for those that have only a file id (a
    redelivery, a repair)."""

    terminal: TerminalRecord
    sender: str
    blob_name: str
    facts: dict[str, Any]


def ended_message(services: Services, file_id: str, known: Ending | None = None) -> FileEnded | None:
    """The `file.ended` message for a file's terminal state (read back unless `known`), or None if it has
    none. Both ways give the same message: every announcement of one file is the same."""
    ending = known if known is not None else stored_ending(services, file_id)
    if ending is None:
        return None
    terminal = ending.terminal
    sender = str(terminal.get("sender") or ending.sender)
    blob_name = str(terminal.get("blob_name") or ending.blob_name)
    state = str(terminal.get("state"))
    facts = dict(ending.facts)
    issues = facts.pop("issues")
    with RecordSpool(services.blobs, issues_blob_name(file_id), services.claim_check_threshold) as spool:
        for issue in issues:
            spool.add(issue)
        payload = spool.to_payload()
    data = FileEndedData.model_validate({"file_id": file_id, "state": state, "sender": sender,
                                         "blob_name": blob_name, "issues": payload, **facts})
    return FileEnded(message_id=ended_message_id(file_id), correlation_id=file_id,
                     causation_id=f"{file_id}:{state}", occurred_at=_when(terminal), source=SOURCE, data=data)


def stored_ending(services: Services, file_id: str) -> Ending | None:
    """The ending rebuilt from storage (terminal.json, the timeline, the report), or None if not ended."""
    terminal = read_terminal(services.blobs, file_id)
    if terminal is None:
        return None
    events = read_events(services.blobs, file_id, terminal)
    sender, blob_name = file_facts(events)
    facts = _facts(services, file_id, terminal, events, str(terminal.get("blob_name") or blob_name))
    return Ending(terminal, sender, blob_name, facts)


def delivered_ending(terminal: TerminalRecord, data: FileAdaptedData) -> Ending | None:
    """The creator's ending from the `file.adapted` it delivered; None when the message does not carry the
    validator's warnings (sent before they travelled with it), so they are read back from the timeline."""
    if data.warnings is None:
        return None
    warnings = [warning.model_dump() for warning in data.warnings]
    facts = _delivered(data.file_id, terminal, data.nb_of_txs, data.ctrl_sum, warnings)
    return Ending(terminal, data.sender, data.blob_name, facts)


def refused_ending(terminal: TerminalRecord, sender: str, blob_name: str, report: Mapping[str, Any],
                   original: BinaryIO | None) -> Ending:
    """The validator's ending from what it has in hand: the report it wrote (`rejected`) or the terminal
    record (`duplicate`), each row error named by its payment id from the copy of the original it kept
    (None: nothing was read, so no error names a row)."""
    if terminal.get("state") == "duplicate":
        return Ending(terminal, sender, blob_name, _duplicate(terminal))
    errors = [issue_record("error", e) for e in report.get("errors") or []]
    if original is not None:
        original.seek(0)
        _add_payment_ids(original, errors)
    return Ending(terminal, sender, blob_name, _rejected(terminal, report, errors))


def _delivered(file_id: str, terminal: TerminalRecord, nb_of_txs: Any, ctrl_sum: Any,
               warnings: list[dict[str, Any]]) -> dict[str, Any]:
    return {"evidence": terminal.get("output"), "msg_id": make_msg_id(file_id), "nb_of_txs": nb_of_txs,
            "ctrl_sum": ctrl_sum, "issues": warnings}


def _facts(services: Services, file_id: str, terminal: TerminalRecord, events: list[TimelineEvent],
           blob_name: str) -> dict[str, Any]:
    """The state's own fields of `FileEndedData`, with `issues` as plain records."""
    state = terminal.get("state")
    if state == "delivered":
        # The totals of the pain.001 as the adaptor recorded them (what the creator announces from
        # `file.adapted`), else the validator's (the same numbers, for a timeline without `adapted`).
        validated = _last(events, "validated")
        adapted = _last(events, "adapted") or validated
        warnings = [issue_record("warning", w) for w in validated.get("warnings") or []]
        return _delivered(file_id, terminal, adapted.get("nb_of_txs", validated.get("row_count")),
                          adapted.get("ctrl_sum", validated.get("control_sum")), warnings)
    if state == "failed":
        written = services.blobs.exists(FAILED_CONTAINER, reason_name(file_id))  # not if compensation gave up
        return {"evidence": f"{FAILED_CONTAINER}/{reason_name(file_id)}" if written else None,
                "failed_step": terminal.get("failed_step"), "reason": terminal.get("reason"),
                "needs_attention": bool(terminal.get("needs_attention")), "issues": []}
    if state == "duplicate":
        return _duplicate(terminal)
    report = read_report(services.blobs, terminal)
    if not report:
        log.warning("file %s: %s is missing or unreadable; announcing its end without its errors", file_id,
                    terminal.get("report") or "its report")
    errors = [issue_record("error", e) for e in report.get("errors") or []]
    _name_payments(services, file_id, blob_name, errors)
    return _rejected(terminal, report, errors)


def _duplicate(terminal: TerminalRecord) -> dict[str, Any]:
    return {"evidence": terminal.get("report"), "duplicate_of": terminal.get("duplicate_of"), "issues": []}


def _rejected(terminal: TerminalRecord, report: Mapping[str, Any], errors: list[dict[str, Any]]
              ) -> dict[str, Any]:  # fmt: skip
    return {"evidence": terminal.get("report"), "error_count": int(report.get("error_count") or len(errors)),
            "issues": errors}


def _last(events: list[TimelineEvent], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next((dict(e) for e in reversed(events) if e.get("event") == name), {})
    return found


def issue_record(severity: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """One `EndingIssue` as a plain record, from a report's error or a validation warning."""
    return {"severity": severity, "row": entry.get("row"), "column": entry.get("column"),
            "code": str(entry.get("code") or "unknown"), "message": str(entry.get("message") or ""),
            "payment_id": entry.get("payment_id"), "before": entry.get("before"),
            "after": entry.get("after"), "rows": int(entry.get("rows") or 1)}


def _name_payments(services: Services, file_id: str, blob_name: str, errors: list[dict[str, Any]]) -> None:
    """Add each row error's payment_id, read back from the rejected original."""
    if not _unnamed_rows(errors) or not blob_name:
        return
    try:
        reader = services.blobs.open_reader(REJECTED_CONTAINER, f"{file_id}/{base_name(blob_name)}")
    except BlobNotFound:
        return
    try:
        _add_payment_ids(reader.stream, errors)
    finally:
        reader.stream.close()


def _unnamed_rows(errors: list[dict[str, Any]]) -> set[int]:
    return {e["row"] for e in errors if isinstance(e.get("row"), int) and not e.get("payment_id")}


def _add_payment_ids(original: BinaryIO, errors: list[dict[str, Any]]) -> None:
    """Name each row error by the payment id on that row of the original."""
    rows = _unnamed_rows(errors)
    if not rows:
        return
    ids = payment_ids_by_row(original, rows)
    for error in errors:
        row = error.get("row")
        error["payment_id"] = error.get("payment_id") or (ids.get(row) if isinstance(row, int) else None)


def _when(terminal: TerminalRecord) -> datetime:
    return datetime.fromisoformat(str(terminal["occurred_at"]).replace("Z", "+00:00"))
