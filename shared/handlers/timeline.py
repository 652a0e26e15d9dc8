"""The per-file timeline: one blob per event (append-only) and one create-if-absent terminal state.

`workflow/timeline/<file id>/events/<occurred_at>-<event>-<random>.json`: concurrent writers never touch
the same blob, and names sort by time; `events/received.json` is written once per file id (a validator
attempt learns from it whether it is the first). `terminal.json` says how the file ends, and is written
once as a record: a second attempt logs a warning and changes nothing, which is what makes "exactly one
terminal state" hold under redelivery. An act that cannot be taken back (a compensation, a refusal's
report) first claims its ending there (`claim_ending`, create-if-absent, marked `pending`), and its
record replaces the claim (If-Match), so one read tells "nothing ended", "ending so" and "ended so", and
the creator, whose work is done when it records, writes once. The record is also the terminal event:
`read_events` reads it as the event that records the state, so there is exactly one terminal event by
construction, with no second write to repair after a crash.
`open/<file id>.json` marks a file that has left the validator's read and not ended: the reconciler's
bounded work list (a file that stalls is found there, without listing every timeline ever written); it
also names the registry entry the file claimed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.contracts.messages import TerminalState
from shared.contracts.timeline import (
    OPENING_EVENTS,
    StepEventName,
    TerminalRecord,
    TimelineEvent,
    check_event,
    check_terminal,
)
from shared.ports import BlobAlreadyExists, BlobChanged, BlobNotFound, BlobStore, Clock
from shared.signals import FILE_ENDED
from shared.telemetry import current_traceparent
from shared.topology import WORKFLOW_CONTAINER

log = logging.getLogger(__name__)
_OLD_TERMINAL_EVENT = "-terminal.json"  # the terminal event's own blob, before terminal.json was it


def timeline_prefix(file_id: str) -> str:
    return f"timeline/{file_id}/"


def terminal_name(file_id: str) -> str:
    return f"timeline/{file_id}/terminal.json"


def open_marker_name(file_id: str) -> str:
    return f"open/{file_id}.json"


def close_open_marker(blobs: BlobStore, file_id: str) -> None:
    """The file has ended: it leaves the reconciler's work list."""
    blobs.delete(WORKFLOW_CONTAINER, open_marker_name(file_id))


def stamp(moment: datetime) -> str:
    """ISO 8601 UTC with microseconds and `Z`, the spelling used in every event and report."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def record_event(blobs: BlobStore, clock: Clock, file_id: str, event: StepEventName, **details: Any
                 ) -> TimelineEvent:  # fmt: skip
    """Append one event; returns what was written (a `TimelineError` if it is outside the vocabulary)."""
    now = clock.now()
    entry = _entry(file_id, event, now, details)
    name = f"{timeline_prefix(file_id)}events/{_compact(now)}-{event}-{uuid.uuid4().hex[:8]}.json"
    blobs.write(WORKFLOW_CONTAINER, name, json.dumps(entry, default=str).encode("utf-8"))
    if event in OPENING_EVENTS:
        mark_open(blobs, file_id, entry["occurred_at"])
    return entry


def record_received(blobs: BlobStore, clock: Clock, file_id: str, **details: Any) -> TimelineEvent | None:
    """The `received` event, once per file id (create-if-absent at a fixed name); None when an earlier
    attempt wrote it. So a first attempt knows, without reading terminal.json, that nothing of it can
    have ended yet by the validator's own hand; the caller reads the state only on a retry (None).
    No open marker yet: while the file is being validated it is still in `incoming/`, where the blob
    trigger's retries and the reconciler's incoming sweep watch it; the validator marks it open as it
    claims its payments' fingerprint (`registry.claim`), and the marker says which entry it claimed."""
    entry = _entry(file_id, "received", clock.now(), details)
    try:
        blobs.write(WORKFLOW_CONTAINER, received_name(file_id), json.dumps(entry, default=str).encode(),
                    overwrite=False)
    except BlobAlreadyExists:
        return None
    return entry


def received_name(file_id: str) -> str:
    return f"{timeline_prefix(file_id)}events/received.json"


def mark_open(blobs: BlobStore, file_id: str, marked_at: str, *,
              registry: Mapping[str, str] | None = None) -> None:
    """Put the file on the reconciler's work list. With `registry` (`{sender, fingerprint}`: the entry the
    validator is about to claim, which the compensation releases through it) the marker is written
    whatever is there; without (an event that reopens the file, the reconciler's incoming sweep), only
    where no marker is, so the entry it names is never lost."""
    marker: dict[str, Any] = {"file_id": file_id, "marked_at": marked_at}
    if registry is not None:
        marker["registry"] = dict(registry)
    with contextlib.suppress(BlobAlreadyExists):  # already on the work list
        blobs.write(WORKFLOW_CONTAINER, open_marker_name(file_id), json.dumps(marker).encode("utf-8"),
                    overwrite=registry is not None)


def read_open_marker(blobs: BlobStore, file_id: str) -> dict[str, Any] | None:
    try:
        marker: dict[str, Any] = json.loads(blobs.read(WORKFLOW_CONTAINER, open_marker_name(file_id)))
    except BlobNotFound:
        return None
    return marker


def _entry(file_id: str, event: StepEventName, now: datetime, details: dict[str, Any]) -> TimelineEvent:
    raw = {"file_id": file_id, "event": event, "occurred_at": stamp(now), **details}
    traceparent = current_traceparent()
    if traceparent:  # lets a handler with no message context (poison, reconciler) resume the file's trace
        raw["traceparent"] = traceparent
    return check_event(raw)


def _compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S.%fZ")


# What a terminal record may replace in terminal.json (`record_terminal`).
Replacing = Literal["nothing", "our claim", "any claim"]
_RACES = 3  # a claim replaced between our read and our write: look again


@dataclass(frozen=True)
class EndingRecord:
    """What terminal.json holds: the claimed or recorded `state`, the `terminal` record once recorded
    (None while the claim's owner is still at work), and the blob's ETag (to replace only that version)."""

    state: str
    terminal: TerminalRecord | None
    etag: str


def write_terminal(blobs: BlobStore, clock: Clock, file_id: str, state: TerminalState, *,
                   replacing: Replacing = "any claim", **details: Any) -> bool:  # fmt: skip
    """Record the terminal state once; False (and a warning) if one was already recorded."""
    return record_terminal(blobs, clock, file_id, state, replacing=replacing, **details) is not None


def record_terminal(blobs: BlobStore, clock: Clock, file_id: str, state: TerminalState, *,
                    replacing: Replacing = "any claim", claim: EndingRecord | None = None,
                    **details: Any) -> TerminalRecord | None:  # fmt: skip
    """`write_terminal`, returning the record it wrote (what `file.ended` is built from), or None.

    One blob says how a file ends: a claim (`claim_ending`) is written where the record will be, and the
    record replaces it (If-Match), so no claim and no record means nothing has ended (one read), and the
    creator, whose work is done when it records, writes once. `replacing` is what the record may take
    the place of: "nothing" (whoever claimed or recorded first wins: the creator), "our claim" (the claim
    the caller won before its decisive act: a compensation, a refusal; read, not first tried as a create),
    or "any claim" (a failure handler that gives up records the state all the same, over an unfinished
    claim). `claim` is the one the caller won, as `claim_ending_record` returned it: replaced unread.
    """
    entry = check_terminal({"file_id": file_id, "state": state, "occurred_at": stamp(clock.now()), **details})
    body = json.dumps(entry, default=str).encode()
    if replacing != "our claim" and _create(blobs, file_id, body) is not None:
        return _recorded(blobs, entry)
    if claim is not None and claim.terminal is None:
        with contextlib.suppress(BlobChanged):  # a give-up recorded over it meanwhile: read below
            blobs.write(WORKFLOW_CONTAINER, terminal_name(file_id), body, if_match=claim.etag)
            return _recorded(blobs, entry)
    for _ in range(_RACES):
        found = read_ending_record(blobs, file_id)
        if found is None:
            if _create(blobs, file_id, body) is not None:
                return _recorded(blobs, entry)
            continue
        if found.terminal is not None or replacing == "nothing":
            log.warning("file %s already %s %s; not recording %s", file_id,
                        "ending" if found.terminal is None else "ended", found.state, state)
            return None
        try:
            blobs.write(WORKFLOW_CONTAINER, terminal_name(file_id), body, if_match=found.etag)
        except BlobChanged:
            continue  # recorded or claimed meanwhile: look again
        return _recorded(blobs, entry)
    raise RuntimeError(f"terminal.json of file {file_id} keeps changing while {state} is recorded; retrying")


def _create(blobs: BlobStore, file_id: str, body: bytes) -> str | None:
    """Write terminal.json if nothing is there; its ETag, or None."""
    try:
        return blobs.write(WORKFLOW_CONTAINER, terminal_name(file_id), body, overwrite=False)
    except BlobAlreadyExists:
        return None


def _recorded(blobs: BlobStore, entry: TerminalRecord) -> TerminalRecord:
    file_id, state = entry["file_id"], entry["state"]
    close_open_marker(blobs, file_id)
    # The workbook's "files per terminal state" counts these lines (infra/queries/workbook-*.kql).
    log.info(f"{FILE_ENDED} %s %s", state, file_id, extra={"file_id": file_id, "terminal_state": state})
    return entry


def terminal_event(terminal: TerminalRecord) -> TimelineEvent:
    """The event that records the terminal state: terminal.json read as an event (named after the state)."""
    details = {k: v for k, v in terminal.items() if k not in ("file_id", "state", "occurred_at")}
    return check_event({"file_id": terminal["file_id"], "event": terminal["state"],
                        "occurred_at": terminal["occurred_at"], **details})


def claim_ending(blobs: BlobStore, clock: Clock, file_id: str, state: str) -> str:
    """Decide, once, how a file ends before an act that cannot be taken back; return the state that won.

    A compensation and a late step can run at the same time (a step that published and then kept
    failing its own bookkeeping is dead-lettered while the next step works), and a refusal must not write
    its report over a file the poison path is ending. Each claims here (create-if-absent, in
    terminal.json, where its record will replace the claim); the loser undoes its own work. The record is
    written only when the winner has finished, so whoever sees a terminal state also finds its evidence.
    """
    return claim_ending_record(blobs, clock, file_id, state).state


def claim_ending_record(blobs: BlobStore, clock: Clock, file_id: str, state: str) -> EndingRecord:
    """`claim_ending`, returning what won: our claim (with its ETag, for `record_terminal(claim=...)`),
    or what was already there."""
    claim = {"file_id": file_id, "state": state, "claimed_at": stamp(clock.now()), "pending": True}
    for _ in range(_RACES):
        etag = _create(blobs, file_id, json.dumps(claim).encode())
        if etag is not None:
            return EndingRecord(state, None, etag)
        found = read_ending_record(blobs, file_id)
        if found is not None:
            return found
    raise RuntimeError(f"terminal.json of file {file_id} keeps changing while {state} is claimed; retrying")


def ending_state(blobs: BlobStore, file_id: str) -> str | None:
    """The terminal state, else the claimed ending (its winner still at work), else None: one read."""
    found = read_ending_record(blobs, file_id)
    return found.state if found is not None else None


def read_ending_record(blobs: BlobStore, file_id: str) -> EndingRecord | None:
    """What terminal.json holds (a claim or the record), or None if nothing has ended or is ending."""
    try:
        content = blobs.read_with_etag(WORKFLOW_CONTAINER, terminal_name(file_id))
    except BlobNotFound:
        return None
    entry = json.loads(content.data)
    if entry.get("pending"):
        return EndingRecord(str(entry.get("state")), None, content.etag)
    terminal = check_terminal(entry)
    return EndingRecord(str(terminal["state"]), terminal, content.etag)


def annotate_terminal(blobs: BlobStore, file_id: str, state: str, **details: Any) -> bool:
    """Add details to a recorded terminal state, only if it is `state` (the state itself never changes).

    For the one late fact a terminal record can gain: a compensation that ended the file `failed` and
    then gave up half-way gets `needs_attention`. False if there is no terminal state, or another one.
    """
    found = read_ending_record(blobs, file_id)
    if found is None or found.terminal is None or found.state != state:
        return False
    updated = check_terminal({**found.terminal, **details, "state": state})
    blobs.write(WORKFLOW_CONTAINER, terminal_name(file_id), json.dumps(updated, default=str).encode(),
                if_match=found.etag)
    return True


def read_terminal(blobs: BlobStore, file_id: str) -> TerminalRecord | None:
    """The recorded terminal state, or None (also while an ending is only claimed)."""
    found = read_ending_record(blobs, file_id)
    return found.terminal if found is not None else None


def read_events(blobs: BlobStore, file_id: str,
                terminal: TerminalRecord | Literal["unread"] | None = "unread") -> list[TimelineEvent]:
    """All events in time order, the terminal state's included; pass `terminal` when it is already read
    (None: there is none), so terminal.json is read once."""
    events = []
    for name in blobs.list_names(WORKFLOW_CONTAINER, f"{timeline_prefix(file_id)}events/"):
        if name.endswith(_OLD_TERMINAL_EVENT):
            continue  # a copy of terminal.json that earlier versions wrote; terminal.json is read below
        try:
            events.append(check_event(json.loads(blobs.read(WORKFLOW_CONTAINER, name))))
        except BlobNotFound:
            continue  # listed then removed: only tests clean timelines, never the pipeline
    if isinstance(terminal, str):  # "unread"
        terminal = read_terminal(blobs, file_id)
    if terminal is not None:
        events.append(terminal_event(terminal))
    # Names sort by their timestamp, but `received.json` and the terminal event take their places by
    # their own (a stable sort: events of one microsecond keep the order of their names).
    events.sort(key=lambda event: str(event.get("occurred_at", "")))
    return events


def trace_of(events: list[TimelineEvent]) -> str:
    """The traceparent the file's first traced event recorded ("" when it was never traced)."""
    return next((str(e["traceparent"]) for e in events if e.get("traceparent")), "")


def last_error(events: list[TimelineEvent]) -> TimelineEvent | None:
    """The newest `step_failed` event: the real error behind a `MaxDeliveryCountExceeded`."""
    failures = [event for event in events if event.get("event") == "step_failed"]
    return failures[-1] if failures else None


def error_text(error: Mapping[str, Any]) -> str:
    """`ErrorType: message` of a `step_failed` event (or of its copy in an archive), shown one way."""
    return f"{error.get('error_type') or ''}: {error.get('error_message') or ''}"


def file_facts(events: list[TimelineEvent]) -> tuple[str, str]:
    """(sender, blob_name) from the `received` event, for failure paths whose message is unreadable."""
    for event in events:
        if event.get("event") == "received":
            return str(event.get("sender", "")), str(event.get("blob_name", ""))
    return "", ""
