"""Failures end to end, injected only through PIPELINE_FAULTS (by file name): retries, DLQ, compensation.

Each scenario checks the real mechanics (MaxDeliveryCount deliveries, the archive holding the real error,
compensations in reverse order) and then the terminal-state invariant.
"""

from __future__ import annotations

import json
import time

import pytest

from ops.errors import OpsError
from ops.replay import replay
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.deadletter_archive import read_archived
from shared.topology import FAILED_CONTAINER, WORKFLOW_CONTAINER, load_config, namespace
from tests.e2e.conftest import Pipeline
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_DELIVERY = next(
    q["Properties"]["MaxDeliveryCount"]
    for q in namespace(load_config())["Queues"]
    if q["Name"] == "file-validated"
)


def _archive(pipeline: Pipeline, file_id: str) -> dict[str, object]:
    names = list(pipeline.store.list_names(WORKFLOW_CONTAINER, f"deadletter/{file_id}/"))
    assert names, f"no dead-letter archive for {file_id}"
    record: dict[str, object] = json.loads(pipeline.store.read(WORKFLOW_CONTAINER, names[0]))
    return record


def test_adaptor_failure_retries_dead_letters_compensates_and_frees_the_file(
    pipeline: Pipeline, tag: str
) -> None:
    content = payment_csv(4, tag=tag, execution_date=pipeline.execution_date)
    file_id = pipeline.upload(f"acme-payroll/boom-adaptor-{tag}.csv", content)
    terminal = pipeline.wait_terminal(file_id, timeout=90)
    assert_terminal_state(pipeline.store, file_id, "failed")
    names = pipeline.names(file_id)
    assert names.count("step_failed") == MAX_DELIVERY
    assert names.index("dead_lettered") > names.index("validated") and "compensated" in names
    archive = _archive(pipeline, file_id)
    assert (
        archive["entity"] == "file-validated" and archive["dead_letter_reason"] == "MaxDeliveryCountExceeded"
    )
    assert "InjectedFault" in json.dumps(archive["last_error"])
    assert "InjectedFault" in str(terminal["reason"])
    reason = json.loads(pipeline.store.read(FAILED_CONTAINER, f"{file_id}/reason.json"))
    assert reason["state"] == "failed"
    # The registry entry was released: the corrected file (same content, no fault in its name) goes through.
    retry = pipeline.upload(f"acme-payroll/fixed-{tag}.csv", content)
    pipeline.wait_terminal(retry)
    assert_terminal_state(pipeline.store, retry, "delivered")


def test_creator_failure_compensates_in_reverse_order_leaving_no_staging(
    pipeline: Pipeline, tag: str
) -> None:
    file_id = pipeline.upload(f"acme-payroll/boom-creator-{tag}.csv",
        payment_csv(3, tag=tag, execution_date=pipeline.execution_date))
    pipeline.wait_terminal(file_id, timeout=90)
    assert_terminal_state(pipeline.store, file_id, "failed")
    events = pipeline.events(file_id)
    names = [e["event"] for e in events]
    assert names.count("step_failed") == MAX_DELIVERY and "adapted" in names and "created" not in names
    compensated = [e.get("step") for e in events if e["event"] == "compensated"]
    assert compensated == ["adaptor", "validator"]
    assert _archive(pipeline, file_id)["entity"] == "file-adapted"


def test_validator_crash_goes_through_the_poison_queue_to_failed(pipeline: Pipeline, tag: str) -> None:
    name = f"acme-payroll/boom-validator-{tag}.csv"
    file_id = pipeline.upload(name, payment_csv(2, tag=tag, execution_date=pipeline.execution_date))
    pipeline.wait_terminal(file_id, timeout=90)
    assert_terminal_state(pipeline.store, file_id, "failed", blob_name=name)
    assert (
        "webjobs-blobtrigger-poison"
        in pipeline.host_log().split(f"blob incoming/{name} failed 5 times")[1][:200]
    )
    assert "InjectedFault" in json.dumps(_archive(pipeline, file_id))


def test_replay_resends_the_archived_message_once(pipeline: Pipeline, tag: str) -> None:
    file_id = pipeline.upload(f"acme-payroll/boom-adaptor-replay-{tag}.csv",
        payment_csv(2, tag=tag, execution_date=pipeline.execution_date))
    pipeline.wait_terminal(file_id, timeout=90)
    before = pipeline.names(file_id).count("step_failed")
    done = replay(pipeline.stack.storage, pipeline.stack.service_bus, file_id, None, force=False)
    assert "to file-validated" in done
    with pytest.raises(OpsError, match="already replayed"):
        replay(pipeline.stack.storage, pipeline.stack.service_bus, file_id, None, force=False)
    # The fault is still injected, so the replayed message fails in FileAdaptor again: proof it was delivered.
    assert pipeline.wait_for_count(file_id, "step_failed", before + 1, timeout=30) > before
    # It is dead-lettered again and archived under its replay id; that archive is the newest, and it is
    # guarded by the same marker: no second replay without --force, and --force never chains the ids.
    store = AzureBlobStore(pipeline.service)
    deadline = time.monotonic() + 90
    while len(read_archived(store, file_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [a.message_id for a in read_archived(store, file_id)][-1].endswith(":validated:replay-1")
    with pytest.raises(OpsError, match="already replayed"):
        replay(pipeline.stack.storage, pipeline.stack.service_bus, file_id, None, force=False)
    forced = replay(pipeline.stack.storage, pipeline.stack.service_bus, file_id, None, force=True)
    assert forced.endswith(f"as {file_id}:validated:replay-2"), forced
