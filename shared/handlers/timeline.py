"""The per-file timeline: one blob per event (append-only) and one create-if-absent terminal state.

`workflow/timeline/<file id>/events/<occurred_at>-<event>-<random>.json`: concurrent writers never touch
the same blob, and names sort by time; `events/received.json` is written once per file id (a validator
attempt learns from it whether it is the first). `terminal.json` can be written once; a second attempt logs a
warning and changes nothing, which is what makes "exactly one terminal state" hold under redelivery. It is
also the terminal event: `read_events` reads it as the event that records the state, so there is exactly
one terminal event by construction, with no second write to repair after a crash.
`ending.json` is the claim that settles a race between delivering and compensating a validated file;
every terminal state is recorded after one, so a file without a claim has not ended (one read).
`open/<file id>.json` marks a file whose timeline has started and not ended: the reconciler's bounded
work list (a file that stalls is found there, without listing every timeline ever written).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
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
from shared.ports import BlobAlreadyExists, BlobNotFound, BlobStore, Clock
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
    have ended yet by the validator's own hand; the caller reads the state only on a retry (None)."""
    entry = _entry(file_id, "received", clock.now(), details)
    try:
        blobs.write(WORKFLOW_CONTAINER, received_name(file_id), json.dumps(entry, default=str).encode(),
                    overwrite=False)
    except BlobAlreadyExists:
        return None
    mark_open(blobs, file_id, entry["occurred_at"])
    return entry


def received_name(file_id: str) -> str:
    return f"{timeline_prefix(file_id)}events/received.json"


def mark_open(blobs: BlobStore, file_id: str, marked_at: str) -> None:
    """Put the file on the reconciler's work list (again, on a retry: idempotent)."""
    marker = {"file_id": file_id, "marked_at": marked_at}
    blobs.write(WORKFLOW_CONTAINER, open_marker_name(file_id), json.dumps(marker).encode("utf-8"))


def _entry(file_id: str, event: StepEventName, now: datetime, details: dict[str, Any]) -> TimelineEvent:
    raw = {"file_id": file_id, "event": event, "occurred_at": stamp(now), **details}
    traceparent = current_traceparent()
    if traceparent:  # lets a handler with no message context (poison, reconciler) resume the file's trace
        raw["traceparent"] = traceparent
    return check_event(raw)


def _compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S.%fZ")


def write_terminal(blobs: BlobStore, clock: Clock, file_id: str, state: TerminalState, *,
                   claimed: bool = False, **details: Any) -> bool:  # fmt: skip
    """Record the terminal state once, then its event; False (and a warning) if one was already recorded."""
    return record_terminal(blobs, clock, file_id, state, claimed=claimed, **details) is not None


def record_terminal(blobs: BlobStore, clock: Clock, file_id: str, state: TerminalState, *,
                    claimed: bool = False, **details: Any) -> TerminalRecord | None:  # fmt: skip
    """`write_terminal`, returning the record it wrote (what `file.ended` is built from), or None.

    Every terminal state is recorded after an ending claim: unless the caller `claimed` it already (the
    creator and the validator's compensation, before their decisive act), one is made here (whoever
    claimed first keeps the claim; the state is recorded all the same, as before claims existed). So no
    claim means no terminal state, and a check on the happy path reads ending.json alone (`ending_state`).
    """
    if not claimed:
        _ensure_claim(blobs, clock, file_id, state)
    entry = check_terminal({"file_id": file_id, "state": state, "occurred_at": stamp(clock.now()), **details})
    try:
        blobs.write(
            WORKFLOW_CONTAINER,
            terminal_name(file_id),
            json.dumps(entry, default=str).encode(),
            overwrite=False,
        )
    except BlobAlreadyExists:
        existing = read_terminal(blobs, file_id)
        found = existing["state"] if existing else None
        log.warning("file %s already ended %s; not recording %s", file_id, found, state)
        return None
    close_open_marker(blobs, file_id)
    # The workbook's "files per terminal state" counts these lines (infra/queries/workbook-*.kql).
    log.info(f"{FILE_ENDED} %s %s", state, file_id, extra={"file_id": file_id, "terminal_state": state})
    return entry


def terminal_event(terminal: TerminalRecord) -> TimelineEvent:
    """The event that records the terminal state: terminal.json read as an event (named after the state)."""
    details = {k: v for k, v in terminal.items() if k not in ("file_id", "state", "occurred_at")}
    return check_event({"file_id": terminal["file_id"], "event": terminal["state"],
                        "occurred_at": terminal["occurred_at"], **details})


def ending_name(file_id: str) -> str:
    return f"timeline/{file_id}/ending.json"


def claim_ending(blobs: BlobStore, clock: Clock, file_id: str, state: str) -> str:
    """Decide, once, how a validated file ends (`delivered` or `failed`); return the state that won.

    The creator and the validator's compensation can run at the same time (a step that published and
    then kept failing its own bookkeeping is dead-lettered while the next step works). Each claims here
    (create-if-absent) before its decisive act, and the loser undoes its own work or rolls the winner's
    forward. `terminal.json` is still written only when the winner has finished, so whoever sees a
    terminal state also finds its evidence. Whoever records another ending (a refusal, a give-up) claims
    its own state as it records it (`record_terminal`), so a claim can also be `rejected` or `duplicate`.
    """
    if _ensure_claim(blobs, clock, file_id, state):
        return state
    return str(json.loads(blobs.read(WORKFLOW_CONTAINER, ending_name(file_id))).get("state"))


def _ensure_claim(blobs: BlobStore, clock: Clock, file_id: str, state: str) -> bool:
    """Claim `state` unless a claim exists (kept, and not read); True if the claim is ours."""
    entry = {"file_id": file_id, "state": state, "claimed_at": stamp(clock.now())}
    try:
        blobs.write(WORKFLOW_CONTAINER, ending_name(file_id), json.dumps(entry).encode(), overwrite=False)
    except BlobAlreadyExists:
        return False
    return True


def ending_state(blobs: BlobStore, file_id: str) -> str | None:
    """The terminal state, else the claimed ending (its winner still at work), else None.

    One read while the file has not ended: a terminal state is only ever recorded after a claim
    (`record_terminal`), so without a claim there is no terminal state to read."""
    claim = read_ending(blobs, file_id)
    if claim is None:
        return None
    terminal = read_terminal(blobs, file_id)
    return str(terminal.get("state")) if terminal is not None else claim


def read_ending(blobs: BlobStore, file_id: str) -> str | None:
    """The claimed ending, if any (`claim_ending`)."""
    try:
        return str(json.loads(blobs.read(WORKFLOW_CONTAINER, ending_name(file_id))).get("state"))
    except BlobNotFound:
        return None


def annotate_terminal(blobs: BlobStore, file_id: str, state: str, **details: Any) -> bool:
    """Add details to a recorded terminal state, only if it is `state` (the state itself never changes).

    For the one late fact a terminal record can gain: a compensation that ended the file `failed` and
    then gave up half-way gets `needs_attention`. False if there is no terminal state, or another one.
    """
    current = read_terminal(blobs, file_id)
    if current is None or current["state"] != state:
        return False
    updated = check_terminal({**current, **details, "state": state})
    blobs.write(WORKFLOW_CONTAINER, terminal_name(file_id), json.dumps(updated, default=str).encode())
    return True


def read_terminal(blobs: BlobStore, file_id: str) -> TerminalRecord | None:
    try:
        return check_terminal(json.loads(blobs.read(WORKFLOW_CONTAINER, terminal_name(file_id))))
    except BlobNotFound:
        return None


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
