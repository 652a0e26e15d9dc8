"""The operator tools against the real local stack (the same code runs against Azure with Entra ID):
smoke delivers a generated file, status and list show it, deadletters shows a failed file's archive with
its real error, and replay refuses a second replay without --force."""

from __future__ import annotations

import pytest
from azure.servicebus import ServiceBusClient
from azure.storage.blob import BlobServiceClient

from ops.deadletters import archived, dead_letter_queues, peek
from ops.errors import OpsError
from ops.replay import replay
from ops.smoke import run_smoke
from ops.target import Target
from tests.e2e.conftest import Pipeline
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def target(pipeline: Pipeline) -> Target:
    stack = pipeline.stack
    return Target("the local stack", BlobServiceClient.from_connection_string(stack.storage),
                  lambda: ServiceBusClient.from_connection_string(stack.service_bus))


def test_smoke_delivers_a_generated_file(target: Target, pipeline: Pipeline) -> None:
    result = run_smoke(target, timeout=60, today=pipeline.today)
    assert result.passed, result
    assert result.evidence.startswith("outgoing/") and result.evidence.endswith(f"{result.file_id}.xml")


def test_deadletters_and_replay_for_a_failed_file(target: Target, pipeline: Pipeline, tag: str) -> None:
    file_id = pipeline.upload(f"acme-payroll/boom-creator-{tag}.csv",
                              payment_csv(2, execution_date=pipeline.execution_date, tag=tag))
    pipeline.wait_terminal(file_id, timeout=90)
    failures = archived(target.blob_service, file_id)
    assert {f.entity for f in failures} >= {"file-adapted"}
    assert any("InjectedFault" in f.error for f in failures if f.entity == "file-adapted")
    with target.service_bus() as client:  # every dead-letter queue can be browsed
        assert all(isinstance(peek(client, dlq), list) for dlq in dead_letter_queues())
    done = replay(target.blob_service, target.service_bus(), file_id, "file-adapted", False)
    assert "Replayed" in done
    with pytest.raises(OpsError, match="already replayed"):
        replay(target.blob_service, target.service_bus(), file_id, "file-adapted", False)
