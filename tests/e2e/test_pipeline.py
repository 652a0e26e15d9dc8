"""End to end through the real stack: delivered, rejected, duplicate, and the claim-check for a large file."""

from __future__ import annotations

import json
import urllib.request

import pytest

from shared.domain.pain001 import validate_pain001
from shared.topology import OUTGOING_CONTAINER, REJECTED_CONTAINER
from tests.e2e.conftest import Pipeline
from tests.invariants import assert_terminal_state
from tests.samplefiles import invalid_csv, payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_happy_path_delivers_an_xsd_valid_pain001_with_a_complete_timeline(
    pipeline: Pipeline, tag: str
) -> None:
    file_id = pipeline.upload(f"acme-payroll/happy-{tag}.csv",
        payment_csv(5, tag=tag, execution_date=pipeline.execution_date))
    terminal = pipeline.wait_terminal(file_id)
    assert_terminal_state(pipeline.store, file_id, "delivered")
    assert terminal["output"] == f"{OUTGOING_CONTAINER}/acme-payroll/{file_id}.xml"
    xml = pipeline.store.read(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")
    validate_pain001(xml)
    assert xml.count(b"<CdtTrfTxInf>") == 5 and f"{tag}-00005".encode() in xml
    assert pipeline.names(file_id) == ["received", "validated", "adapted", "delivered"]
    # The app's own status function, served by the devhost like `func start` (no key needed locally).
    with urllib.request.urlopen(f"{pipeline.stack.http_base}/api/files/{file_id}", timeout=10) as response:
        status = json.load(response)
    assert status["state"] == "delivered" and len(status["events"]) == 4


def test_invalid_file_is_rejected_with_a_per_row_report_and_sends_nothing(
    pipeline: Pipeline, tag: str
) -> None:
    file_id = pipeline.upload(f"acme-payroll/invalid-{tag}.csv", invalid_csv(pipeline.execution_date))
    pipeline.wait_terminal(file_id)
    assert_terminal_state(pipeline.store, file_id, "rejected")
    report = json.loads(pipeline.store.read(REJECTED_CONTAINER, f"{file_id}/report.json"))
    cells = {(e["row"], e["column"]) for e in report["errors"]}
    assert (2, "creditor_iban") in cells and (3, "amount") in cells and (3, "execution_date") in cells
    assert pipeline.names(file_id) == ["received", "rejected"]
    # Every message on file-validated runs FileAdaptor, whose log line names the file: none may exist.
    assert "'Functions.FileAdaptor'" not in "\n".join(
        line for line in pipeline.host_log().splitlines() if f"[file={file_id}]" in line
    )


def test_the_same_content_twice_ends_duplicate_naming_the_first(pipeline: Pipeline, tag: str) -> None:
    content = payment_csv(3, tag=tag, execution_date=pipeline.execution_date)
    first = pipeline.upload(f"acme-payroll/twice-a-{tag}.csv", content)
    assert pipeline.wait_terminal(first)["state"] == "delivered"
    second = pipeline.upload(f"acme-payroll/twice-b-{tag}.csv", content)
    pipeline.wait_terminal(second)
    assert_terminal_state(pipeline.store, second, "duplicate")
    report = json.loads(pipeline.store.read(REJECTED_CONTAINER, f"{second}/report.json"))
    assert report["duplicate_of"] == first or first in json.dumps(report["duplicate_of"])


def test_a_large_file_travels_by_claim_check(pipeline: Pipeline, tag: str) -> None:
    content = payment_csv(2500, tag=tag, execution_date=pipeline.execution_date)
    assert len(content) > 192 * 1024
    file_id = pipeline.upload(f"acme-payroll/large-{tag}.csv", content)
    pipeline.wait_terminal(file_id, timeout=120)
    assert_terminal_state(pipeline.store, file_id, "delivered")
    validated = next(e for e in pipeline.events(file_id) if e["event"] == "validated")
    assert validated["payload"] == "blob"
    xml = pipeline.store.read(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")
    validate_pain001(xml)
    assert xml.count(b"<CdtTrfTxInf>") == 2500
