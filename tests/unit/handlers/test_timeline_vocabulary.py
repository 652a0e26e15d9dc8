"""The timeline's closed vocabulary: writers and readers refuse names and fields it does not define."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from shared.contracts.messages import TerminalState
from shared.contracts.timeline import (
    EVENT_NAMES,
    FILE_STATES,
    TERMINAL_STATES,
    FileStatus,
    TimelineError,
    check_event,
)
from shared.handlers.status import file_status
from shared.handlers.timeline import read_events, read_terminal, record_event, terminal_name, write_terminal
from shared.topology import WORKFLOW_CONTAINER
from tests.fakes import FakeBlobStore, FakeClock


def test_the_vocabulary_is_defined_once_and_agrees_with_the_message_contracts() -> None:
    assert get_args(TerminalState) == TERMINAL_STATES
    assert set(TERMINAL_STATES) <= set(EVENT_NAMES)
    assert set(FILE_STATES) == {"in_progress", "superseded", *TERMINAL_STATES}
    assert len(set(EVENT_NAMES)) == len(EVENT_NAMES)


def test_a_writer_using_an_event_name_outside_the_vocabulary_fails() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    with pytest.raises(TimelineError, match="has event 'validatd'; expected one of received"):
        record_event(blobs, clock, "f", "validatd")  # type: ignore[arg-type]
    assert list(blobs.list_names(WORKFLOW_CONTAINER, "")) == []  # nothing half-written


def test_a_writer_using_a_detail_outside_the_vocabulary_fails() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    with pytest.raises(TimelineError, match="fields outside the timeline's vocabulary: rowcount"):
        record_event(blobs, clock, "f", "validated", rowcount=3)
    with pytest.raises(TimelineError, match="fields outside the timeline's vocabulary: outptu"):
        write_terminal(blobs, clock, "f", "delivered", outptu="x.xml")


def test_a_stored_record_outside_the_vocabulary_is_a_clear_error_on_read() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    record_event(blobs, clock, "f", "received", sender="acme-payroll")
    blobs.write(WORKFLOW_CONTAINER, terminal_name("f"),
                json.dumps({"file_id": "f", "state": "paid", "occurred_at": "2026-01-01T00:00:00Z"}).encode())
    with pytest.raises(TimelineError, match="has state 'paid'"):
        read_terminal(blobs, "f")
    with pytest.raises(TimelineError, match="has state 'paid'"):
        file_status(blobs, "f")


def test_what_is_written_reads_back_with_the_same_names() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    record_event(blobs, clock, "f", "received", sender="acme-payroll", blob_name="acme-payroll/a.csv")
    assert write_terminal(blobs, clock, "f", "delivered", output="acme-payroll/a.xml")
    events = read_events(blobs, "f")
    assert [e["event"] for e in events] == ["received", "delivered"]
    assert events[1].get("output") == "acme-payroll/a.xml"
    terminal = read_terminal(blobs, "f")
    assert terminal is not None and terminal["state"] == "delivered"


def test_the_status_has_the_typed_fields_and_a_poller_gets_no_summary() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    record_event(blobs, clock, "f", "received", sender="acme-payroll", blob_name="acme-payroll/a.csv")
    status = file_status(blobs, "f")
    assert status is not None and set(status) == set(FileStatus.__annotations__)
    assert status["state"] == "in_progress" and status["terminal"] is None
    polled = file_status(blobs, "f", details=False)
    assert polled is not None and set(FileStatus.__annotations__) - set(polled) == {"summary"}


def test_check_event_needs_the_core_fields() -> None:
    with pytest.raises(TimelineError, match="lacks occurred_at"):
        check_event({"file_id": "f", "event": "received"})
