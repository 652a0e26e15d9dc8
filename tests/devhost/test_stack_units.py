"""Pure parts of the local stack: port choice, expected sample states, journey rendering, replay routing."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from localdev.stack.display import row
from localdev.stack.journey import FileJourney
from localdev.stack.ports import choose_ports
from localdev.stack.processes import StackError
from localdev.stack.replay import target_of
from localdev.stack.samples import guess_expected, load_samples
from localdev.stack.storage import blob_name_for

pytestmark = pytest.mark.unit


def test_a_busy_default_port_moves_with_a_note_but_a_busy_explicit_port_is_an_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StackError, match=rf"Port {port} \(--http-port\) is already in use"):
            choose_ports({"http": port})
    ports, _ = choose_ports({"blob": None})
    assert len({ports.blob, ports.queue, ports.table, ports.servicebus, ports.http}) == 5


def test_expected_states_come_from_expected_json_or_the_name() -> None:
    samples = {s.blob_name: s.expected for s in load_samples()}
    assert samples["globex-suppliers/2028-02-08-with-errors.csv"] == "rejected"
    assert samples["acme-payroll/2028-01-14-payroll.csv"] == "delivered"
    assert (
        guess_expected("x/boom-adaptor.csv") == "failed"
        and guess_expected("x/a-duplicate.csv") == "duplicate"
    )


def test_journey_steps_fold_repeats_and_show_the_output() -> None:
    events = [{"event": "received", "occurred_at": "2026-11-22T00:00:00Z"},
              {"event": "step_failed", "occurred_at": "2026-11-22T00:00:01Z"},
              {"event": "step_failed", "occurred_at": "2026-11-22T00:00:02Z"},
              {"event": "failed", "occurred_at": "2026-11-22T00:00:03.5Z"}]  # fmt: skip
    journey = FileJourney("acme.x.12345678", "acme/x.csv", "failed", events, {"state": "failed"})
    assert journey.steps() == "received +0.00s → step_failedx2 +2.00s → failed +3.50s"
    assert journey.complete and journey.output == "failed/acme.x.12345678/"
    assert row(journey).startswith("✖ acme/x.csv")


def test_replay_targets_and_sender_folders() -> None:
    assert target_of("file-validated") == ("file-validated", False)
    assert target_of("file-failed/Subscriptions/adaptor-compensation") == ("file-failed", True)
    with pytest.raises(StackError, match="dropping the corrected original"):
        target_of("webjobs-blobtrigger-poison")
    assert blob_name_for(Path("samples/incoming/acme-payroll/a.csv"), None) == "acme-payroll/a.csv"
    with pytest.raises(StackError, match="pass --sender"):
        blob_name_for(Path("a.csv"), None)
