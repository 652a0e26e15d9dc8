"""One trace per file, through the real local stack: the devhost's processes export every span to a file
(`PIPELINE_TRACE_FILE`, OpenTelemetry's SDK with a JSON-lines exporter), and the trace context crosses
each Service Bus hop only by the SDK's own `Diagnostic-Id`/`traceparent` properties.

For a delivered file and for the failure paths (the adaptor dead-letters and both compensations run; the
validator crashes into the blob-poison queue), every span naming the file has the same trace id, and the
Service Bus SDK's send spans sit in that trace too."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from localdev.stack.stack import LocalStack, StackOptions
from shared.settings import PIPELINE_TODAY_SETTING
from tests.e2e.conftest import FAULTS, Pipeline
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory, today: date) -> Iterator[tuple[Pipeline, Path]]:
    folder = tmp_path_factory.mktemp("traced")
    spans = folder / "spans.jsonl"
    options = StackOptions(
        data_dir=folder / "stack",
        poll_interval=0.2,
        azurite_in_memory=True,
        extra_env={"PIPELINE_FAULTS": FAULTS, PIPELINE_TODAY_SETTING: today.isoformat(),
                   "PIPELINE_TRACE_FILE": str(spans)},
    )
    stack = LocalStack(options)
    try:
        stack.start()
        yield Pipeline(stack, today), spans
    finally:
        stack.stop()


def _spans(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _journey(path: Path, file_id: str, until: str = "", timeout: float = 15.0) -> tuple[list[str], set[str]]:
    """(span names in order, trace ids) of every span whose file_id attribute is this file; waits until a
    span named `until` is there (a span is exported when it ends, which is after the state it records:
    the creator still announces the ending once `delivered` is written)."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [s for s in _spans(path) if s["attributes"].get("file_id") == file_id]
        names = [s["name"] for s in mine]
        if not until or until in names or time.monotonic() > deadline:
            return names, {s["trace_id"] for s in mine}
        time.sleep(0.2)


def test_a_delivered_file_is_one_trace(traced: tuple[Pipeline, Path], tag: str) -> None:
    pipeline, path = traced
    file_id = pipeline.upload(f"acme-payroll/traced-{tag}.csv",
                              payment_csv(3, execution_date=pipeline.execution_date, tag=tag))
    pipeline.wait_terminal(file_id)
    assert_terminal_state(pipeline.store, file_id, "delivered")
    names, traces = _journey(path, file_id, until="FileCreator")
    assert {"FileValidator", "FileAdaptor", "FileCreator"} <= set(names), names
    assert len(traces) == 1, f"{file_id} is spread over {len(traces)} traces: {names}"
    (trace_id,) = traces
    sdk = [s["name"] for s in _spans(path) if s["trace_id"] == trace_id and "file_id" not in s["attributes"]]
    assert any(name.startswith("ServiceBus") for name in sdk), f"no Service Bus SDK span in the trace: {sdk}"
    events = pipeline.events(file_id)
    assert {e.get("traceparent", "").split("-")[1] for e in events if e.get("traceparent")} == {trace_id}


def test_a_failed_file_with_dead_letter_and_compensations_is_one_trace(traced: tuple[Pipeline, Path],
                                                                     tag: str) -> None:
    pipeline, path = traced
    file_id = pipeline.upload(f"acme-payroll/boom-adaptor-{tag}.csv",
                              payment_csv(3, execution_date=pipeline.execution_date, tag=tag))
    pipeline.wait_terminal(file_id, timeout=90)
    assert_terminal_state(pipeline.store, file_id, "failed")
    names, traces = _journey(path, file_id, until="ValidatorCompensation")
    assert {"FileValidator", "FileAdaptor", "FileValidatedDeadLetter", "ValidatorCompensation"} <= set(names)
    assert len(traces) == 1, f"{file_id} is spread over {len(traces)} traces: {names}"
    adaptor = [s for s in _spans(path) if s["attributes"].get("file_id") == file_id
               and s["name"] == "FileAdaptor"]
    assert adaptor and all(s["status"] == "StatusCode.ERROR" for s in adaptor)


def test_the_blob_poison_path_resumes_the_files_trace(traced: tuple[Pipeline, Path], tag: str) -> None:
    pipeline, path = traced
    file_id = pipeline.upload(f"acme-payroll/boom-validator-{tag}.csv",
                              payment_csv(3, execution_date=pipeline.execution_date, tag=tag))
    pipeline.wait_terminal(file_id, timeout=120)
    assert_terminal_state(pipeline.store, file_id, "failed")
    names, traces = _journey(path, file_id, until="ValidatorCompensation")
    assert {"FileValidator", "BlobPoison", "ValidatorCompensation"} <= set(names), names
    # The host retries a blob with no context to carry, and its poison notice carries none either: each
    # resumes the trace the file's first attempt recorded on its timeline.
    assert names.count("FileValidator") >= 2 and len(traces) == 1, (names, traces)
