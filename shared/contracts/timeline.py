"""The timeline's vocabulary and records, defined once: every event name, every state a file can be in,
and the typed shape of an event and of the terminal record, field by field.

The persisted JSON keeps these names, so what is already stored reads the same. Writers (the handlers)
are checked by mypy against the `Literal` names and at run time by `check_event`/`check_terminal`; readers
(the status summary, the HTTP function, the CLIs, the local stack, the reconciler) get the same types back,
and a stored record whose event name or state is outside the vocabulary is a `TimelineError`, never passed
on silently.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, Required, TypedDict, get_args

from shared.contracts.messages import TerminalState

# What happened to a file, in the order a journey usually shows them.
StepEventName = Literal[
    "received",  # the validator saw this version of the blob
    "superseded",  # the version was replaced or deleted before it could be read to its end
    "validated",
    "adapted",
    "created",  # a pain.001 written and then removed: the file had ended otherwise meanwhile
    "step_failed",  # one attempt of a step failed; the broker retries
    "dead_lettered",
    "compensated",  # an earlier step undid its own work
    "reconciled",  # the reconciler drove or failed a stalled file
    "needs_attention",  # something an operator must look at
]
# A terminal state is also the name of the event that records it.
EventName = StepEventName | TerminalState
# A file's state as the status answers it: in progress until terminal, or superseded.
FileState = Literal["in_progress", "superseded"] | TerminalState

TERMINAL_STATES: tuple[TerminalState, ...] = get_args(TerminalState)
EVENT_NAMES: tuple[EventName, ...] = (*get_args(StepEventName), *TERMINAL_STATES)
FILE_STATES: tuple[FileState, ...] = ("in_progress", "superseded", *TERMINAL_STATES)
# The events that can start a timeline (a validator fault can come before `received`; the reconciler
# records what it is about to do before the validator runs).
OPENING_EVENTS: tuple[StepEventName, ...] = ("received", "step_failed", "reconciled")


class TimelineError(ValueError):
    """A timeline record outside the vocabulary: a writer's bug, or a record this version cannot read."""


class EndingDetails(TypedDict, total=False):
    """What explains a terminal state: in `terminal.json`, and repeated by the event that records it."""

    output: str  # delivered: the pain.001's path in the output container
    recorded_by: str  # delivered, when the compensation found the creator had finished
    report: str  # rejected / duplicate: `<container>/<name>` of the report
    error_count: int
    duplicate_of: str | None
    duplicate_payments: list[dict[str, Any]]
    failed_step: str  # failed: where, why, what was archived
    reason: str
    archive: str
    needs_attention: bool
    compensated_at: str
    compensation_failure: str
    compensation_archive: str
    replay: str
    registry: dict[str, str]  # failed by a give-up: the registry entry a replayed compensation releases


class TerminalRecord(EndingDetails, total=False):
    """`terminal.json`: the one terminal state of a file, with what explains it."""

    file_id: Required[str]
    state: Required[TerminalState]
    occurred_at: Required[str]


class TimelineEvent(EndingDetails, total=False):
    """One event blob: who did what when, with the details that event carries (named here, once; a
    terminal state's event repeats its record's `EndingDetails`)."""

    file_id: Required[str]
    event: Required[EventName]
    occurred_at: Required[str]
    traceparent: str  # lets a handler with no message context resume the file's trace
    # received, superseded, reconciled
    sender: str
    blob_name: str
    etag: str
    size: int
    replaced_by: str
    # validated
    row_count: int
    control_sum: str
    payload: str
    warning_count: int
    warnings: list[dict[str, Any]]
    # adapted, created (only when the output lost the ending claim and was removed)
    nb_of_txs: int
    ctrl_sum: str
    document: str
    attempt: int
    removed_because: str  # created: the state that won the claim
    # step_failed, compensated, needs_attention
    step: str
    error_type: str
    error_message: str
    deleted_staged_document: bool
    original: str
    # dead_lettered
    entity: str
    dead_letter_reason: str
    delivery_count: int
    # reconciled
    action: str
    compensate: bool


_EVENT_FIELDS = frozenset(TimelineEvent.__annotations__)
_TERMINAL_FIELDS = frozenset(TerminalRecord.__annotations__)


class FileStatus(TypedDict):
    """A file's status as `GET /api/files/{file_id}` and `python -m ops status` answer it
    (`shared/handlers/status.py::file_status`): the timeline, the terminal record, and what to tell."""

    file_id: str
    state: FileState
    terminal: TerminalRecord | None
    events: list[TimelineEvent]
    summary: NotRequired[dict[str, Any]]  # left out by pollers (`details=False`)


def check_event(entry: dict[str, Any]) -> TimelineEvent:
    """The entry as a `TimelineEvent`, or a `TimelineError` naming what is outside the vocabulary."""
    _check(entry, "event", EVENT_NAMES, _EVENT_FIELDS, "timeline event")
    return entry  # type: ignore[return-value]  # checked above: names and required fields


def check_terminal(entry: dict[str, Any]) -> TerminalRecord:
    """The entry as a `TerminalRecord`, or a `TimelineError`."""
    _check(entry, "state", TERMINAL_STATES, _TERMINAL_FIELDS, "terminal record")
    return entry  # type: ignore[return-value]


def _check(entry: dict[str, Any], key: str, allowed: tuple[str, ...], fields: frozenset[str], what: str
           ) -> None:  # fmt: skip
    missing = [name for name in ("file_id", key, "occurred_at") if name not in entry]
    if missing:
        raise TimelineError(f"{what} for {entry.get('file_id', '?')!r} lacks {', '.join(missing)}")
    if entry[key] not in allowed:
        raise TimelineError(f"{what} for {entry['file_id']!r} has {key} {entry[key]!r}; "
                            f"expected one of {', '.join(allowed)}")  # fmt: skip
    unknown = sorted(set(entry) - fields)
    if unknown:
        raise TimelineError(f"{what} {entry[key]!r} for {entry['file_id']!r} has fields outside the "
                            f"timeline's vocabulary: {', '.join(unknown)} "
                            "(name them in shared/contracts/timeline.py)")  # fmt: skip
