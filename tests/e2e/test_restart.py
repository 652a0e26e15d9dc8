"""Restart safety: crash the devhost, or the Service Bus emulator (SIGKILL), in the middle of a batch, start
it again, and every file still ends in exactly one terminal state with exactly one output.

Blob receipts stop completed blobs from running again; the emulator puts the crashed host's locked messages
back; the durable emulator (the stack's default) keeps every message it acknowledged across its own crash;
the handlers' deterministic names and create-if-absent writes absorb the redeliveries.
"""

from __future__ import annotations

import time

import pytest

from shared.contracts.timeline import TERMINAL_STATES
from shared.handlers.timeline import read_terminal
from shared.topology import OUTGOING_CONTAINER
from tests.e2e.conftest import Pipeline
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FILES = 24
OUTAGE_SECONDS = 12.0
ATTEMPTS = 3


def _wait_until_mid_batch(pipeline: Pipeline, file_ids: list[str], timeout: float = 30.0) -> int:
    """Return the number of finished files once some file has been validated (and so left incoming/)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any("validated" in pipeline.names(f) for f in file_ids):
            return sum(read_terminal(pipeline.store, f) is not None for f in file_ids)
        time.sleep(0.05)
    raise AssertionError("no file was validated in time")


def _upload_batch(pipeline: Pipeline, prefix: str, rows: int = 20) -> list[str]:
    return [
        pipeline.upload(f"acme-payroll/{prefix}-{n:02d}.csv",
                        payment_csv(rows, tag=f"{prefix}-{n}", execution_date=pipeline.execution_date))
        for n in range(FILES)
    ]  # fmt: skip


def _wait_until_between_steps(pipeline: Pipeline, file_ids: list[str], timeout: float = 30.0) -> None:
    """Until some file is validated but not finished: its next message is then in the emulator's hands."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for file_id in file_ids:
            if "validated" in pipeline.names(file_id) and read_terminal(pipeline.store, file_id) is None:
                return
        time.sleep(0.02)
    raise AssertionError("no file was between two steps in time")


def _assert_each_delivered_once(pipeline: Pipeline, prefix: str, file_ids: list[str]) -> None:
    for file_id in file_ids:
        pipeline.wait_terminal(file_id, timeout=150)
    listed = pipeline.store.list_names(OUTGOING_CONTAINER, "acme-payroll/")
    outputs = [name for name in listed if prefix in name]
    assert sorted(outputs) == sorted(f"acme-payroll/{f}.xml" for f in file_ids)
    for file_id in file_ids:
        assert_terminal_state(pipeline.store, file_id, "delivered")
        terminal_events = [n for n in pipeline.names(file_id) if n in TERMINAL_STATES]
        assert terminal_events == ["delivered"], f"{file_id}: {pipeline.names(file_id)}"


def test_a_crashed_host_restarts_and_every_file_ends_exactly_once(pipeline: Pipeline, tag: str) -> None:
    stack = pipeline.stack
    file_ids = _upload_batch(pipeline, f"restart-{tag}")
    finished_before_crash = _wait_until_mid_batch(pipeline, file_ids)
    stack.stop_host(crash=True)
    assert finished_before_crash < FILES, "the batch finished before the crash; the test proves nothing"
    stack.start_host()
    _assert_each_delivered_once(pipeline, f"restart-{tag}", file_ids)


def test_a_killed_emulator_restarts_and_no_message_is_lost(pipeline: Pipeline, tag: str) -> None:
    """With messages queued on file-validated and file-adapted, SIGKILL the emulator and start it again on
    its port and data folder: in memory, those messages would vanish and their files stay in progress.

    The kill must land while some file is between two steps; on a fast run a batch can slip through that
    window, so the scenario is tried up to ATTEMPTS times (every batch must still end delivered once)."""
    stack = pipeline.stack
    for attempt in range(1, ATTEMPTS + 1):
        prefix = f"sbkill-{tag}-{attempt}"
        # Bigger files: each step takes long enough that the kill lands while messages are in flight.
        file_ids = _upload_batch(pipeline, prefix, rows=300)
        _wait_until_between_steps(pipeline, file_ids)
        port = stack.stop_emulator(crash=True)
        try:
            # Down for longer than the SDK's own send retries last, so the handlers give up and their
            # messages stay only in the dead emulator (queued, or locked by a handler whose send failed):
            # an in-memory emulator loses them for good, and their files would stay in progress forever.
            time.sleep(OUTAGE_SECONDS)
            held = [f for f in file_ids if "validated" in pipeline.names(f)
                    and read_terminal(pipeline.store, f) is None]  # fmt: skip
        finally:
            stack.start_emulator(port)  # whatever happens, the session's other tests need the emulator back
        _assert_each_delivered_once(pipeline, prefix, file_ids)
        if held:
            return
    raise AssertionError(f"in {ATTEMPTS} batches no message was held by the emulator when it died; "
                         "the test proved nothing")
