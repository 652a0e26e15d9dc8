"""Restart safety: crash the devhost (SIGKILL) in the middle of a batch, start it again, and every file still
ends in exactly one terminal state with exactly one output.

Blob receipts stop completed blobs from running again; the emulator puts the crashed host's locked messages
back; the handlers' deterministic names and create-if-absent writes absorb the redeliveries.
"""

from __future__ import annotations

import time

import pytest

from shared.handlers.timeline import TERMINAL_STATES, read_terminal
from shared.topology import OUTGOING_CONTAINER
from tests.e2e.conftest import Pipeline
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FILES = 24


def _wait_until_mid_batch(pipeline: Pipeline, file_ids: list[str], timeout: float = 30.0) -> int:
    """Return the number of finished files once some file has been validated (and so left incoming/)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any("validated" in pipeline.names(f) for f in file_ids):
            return sum(read_terminal(pipeline.store, f) is not None for f in file_ids)
        time.sleep(0.05)
    raise AssertionError("no file was validated in time")


def test_a_crashed_host_restarts_and_every_file_ends_exactly_once(pipeline: Pipeline, tag: str) -> None:
    stack = pipeline.stack
    file_ids = [
        pipeline.upload(f"acme-payroll/restart-{tag}-{n:02d}.csv",
            payment_csv(20, tag=f"{tag}-{n}", execution_date=pipeline.execution_date))
        for n in range(FILES)
    ]
    finished_before_crash = _wait_until_mid_batch(pipeline, file_ids)
    stack.stop_host(crash=True)
    assert finished_before_crash < FILES, "the batch finished before the crash; the test proves nothing"
    stack.start_host()
    for file_id in file_ids:
        pipeline.wait_terminal(file_id, timeout=150)
    listed = pipeline.store.list_names(OUTGOING_CONTAINER, "acme-payroll/")
    outputs = [name for name in listed if f"restart-{tag}" in name]
    assert sorted(outputs) == sorted(f"acme-payroll/{f}.xml" for f in file_ids)
    for file_id in file_ids:
        assert_terminal_state(pipeline.store, file_id, "delivered")
        terminal_events = [n for n in pipeline.names(file_id) if n in TERMINAL_STATES]
        assert terminal_events == ["delivered"], f"{file_id}: {pipeline.names(file_id)}"
