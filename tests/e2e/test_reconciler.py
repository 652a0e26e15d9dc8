"""The reconciler through the real local stack: Azurite, the emulator, the devhost running its timer.

Blob events are lost on purpose: the devhost never triggers FileValidator for names matching
`DEVHOST_LOST_BLOB_EVENTS`, as when Event Grid dead-letters a BlobCreated in Azure. The stack runs the
reconciler every 2 s with short waits, so each gap closes within seconds; each test then checks the
terminal-state invariant and what the reconciler recorded on the timeline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from localdev.stack.stack import LocalStack, StackOptions
from shared.handlers.identity import incoming_file_id
from shared.handlers.timeline import record_event
from shared.settings import PIPELINE_TODAY_SETTING
from shared.topology import EVENTGRID_DEADLETTER_CONTAINER, INCOMING_CONTAINER
from tests.e2e.conftest import FAULTS, Pipeline
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class PastClock:
    """Writes a timeline event as if it had happened an hour ago (a file that has been stuck since)."""

    def now(self) -> datetime:
        return datetime.now(UTC) - timedelta(hours=1)

    def today(self) -> date:
        return self.now().date()


@pytest.fixture(scope="module")
def reconciling(tmp_path_factory: pytest.TempPathFactory, today: date) -> Iterator[Pipeline]:
    options = StackOptions(
        data_dir=tmp_path_factory.mktemp("reconciling"),
        poll_interval=0.2,
        azurite_in_memory=True,
        extra_env={
            "PIPELINE_FAULTS": f"{FAULTS};validator=*/lost-boom-*",
            PIPELINE_TODAY_SETTING: today.isoformat(),
            "DEVHOST_LOST_BLOB_EVENTS": "incoming/*/lost-*",
            "RECONCILE_SCHEDULE": "*/2 * * * * *",
            "RECONCILE_UNSEEN_AFTER_SECONDS": "3",
            "RECONCILE_STALLED_AFTER_SECONDS": "5",
        },
    )
    stack = LocalStack(options)
    try:
        stack.start()
        yield Pipeline(stack, today)
    finally:
        stack.stop()


def _upload(pipeline: Pipeline, name: str, tag: str) -> tuple[str, str]:
    content = payment_csv(3, execution_date=pipeline.execution_date, tag=tag)
    result = pipeline.service.get_blob_client(INCOMING_CONTAINER, name).upload_blob(content)
    etag = str(result["etag"])
    return incoming_file_id(name, etag), etag


def _actions(pipeline: Pipeline, file_id: str) -> list[str]:
    return [str(e.get("action")) for e in pipeline.events(file_id) if e["event"] == "reconciled"]


def test_an_event_grid_dead_letter_is_driven_counted_and_removed(reconciling: Pipeline, tag: str) -> None:
    name = f"acme-payroll/lost-dl-{tag}.csv"
    file_id, etag = _upload(reconciling, name, tag)
    event = {"id": tag, "eventType": "Microsoft.Storage.BlobCreated", "deliveryAttempts": 30,
             "subject": f"/blobServices/default/containers/incoming/blobs/{name}",
             "deadLetterReason": "MaxDeliveryAttemptsExceeded", "data": {"eTag": etag}}
    container = reconciling.service.get_container_client(EVENTGRID_DEADLETTER_CONTAINER)
    if not container.exists():
        container.create_container()
    dead_letter = f"evgt/fileValidatorIncoming/{tag}.json"
    container.upload_blob(dead_letter, json.dumps([event]).encode())

    reconciling.wait_terminal(file_id, timeout=60)
    assert_terminal_state(reconciling.store, file_id, "delivered")
    assert _actions(reconciling, file_id) == ["eventgrid"]
    assert not container.get_blob_client(dead_letter).exists()
    assert "Event Grid dead-letter" in reconciling.host_log()


def test_a_blob_whose_event_was_lost_without_trace_is_found(reconciling: Pipeline, tag: str) -> None:
    file_id, _ = _upload(reconciling, f"acme-payroll/lost-{tag}.csv", tag)
    reconciling.wait_terminal(file_id, timeout=60)
    assert_terminal_state(reconciling.store, file_id, "delivered")
    assert _actions(reconciling, file_id) == ["unseen"]


def test_a_file_stalled_in_the_validator_is_revalidated(reconciling: Pipeline, tag: str) -> None:
    name = f"acme-payroll/lost-stalled-{tag}.csv"
    file_id, etag = _upload(reconciling, name, tag)
    # The validator started an hour ago and was never heard of again (its instance was recycled).
    record_event(reconciling.store, PastClock(), file_id, "received", sender="acme-payroll", blob_name=name,
                 etag=etag.strip('"'))
    reconciling.wait_terminal(file_id, timeout=60)
    assert_terminal_state(reconciling.store, file_id, "delivered")
    assert _actions(reconciling, file_id) == ["stalled-revalidate"]


def test_a_file_that_keeps_failing_is_failed_and_compensated(reconciling: Pipeline, tag: str) -> None:
    # Its event is lost, and the validator raises every time the reconciler drives it.
    file_id, _ = _upload(reconciling, f"acme-payroll/lost-boom-{tag}.csv", tag)
    terminal = reconciling.wait_terminal(file_id, timeout=90)
    assert_terminal_state(reconciling.store, file_id, "failed")
    assert _actions(reconciling, file_id)[:1] == ["unseen"] and "fail" in _actions(reconciling, file_id)
    assert "stalled" in str(terminal["reason"])
