"""Status reports through the real stack: each terminal state gives its sender exactly one pain.002, also
when the host is killed in the middle of a batch (the redeliveries announce again; the topic's duplicate
detection and the reporter's create-if-absent write keep it to one)."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from lxml import etree

from localdev.stack.webhook_receiver import WebhookReceiver
from shared.domain.pain002_schema import NAMESPACE, validate_pain002
from shared.handlers.timeline import read_terminal
from shared.topology import REPORTS_CONTAINER
from tests.e2e.conftest import Pipeline
from tests.samplefiles import invalid_csv, payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NS = {"p": NAMESPACE}


def wait_report(pipeline: Pipeline, file_id: str, timeout: float = 60.0) -> etree._Element:
    name = f"acme-payroll/{file_id}.pain.002.xml"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pipeline.store.exists(REPORTS_CONTAINER, name):
            data = pipeline.store.read(REPORTS_CONTAINER, name)
            validate_pain002(data)
            return etree.fromstring(data)
        time.sleep(0.2)
    raise AssertionError(f"no status report for {file_id} in {timeout}s; events: {pipeline.names(file_id)}")


def reports_for(pipeline: Pipeline, file_ids: list[str]) -> list[str]:
    wanted = set(file_ids)
    names = pipeline.store.list_names(REPORTS_CONTAINER, "acme-payroll/")
    return [n for n in names if n.removeprefix("acme-payroll/").removesuffix(".pain.002.xml") in wanted]


def group_status(report: etree._Element) -> tuple[str | None, list[str]]:
    return (report.findtext(".//p:OrgnlGrpInfAndSts/p:GrpSts", namespaces=NS),
            [str(c.text) for c in report.iterfind(".//p:StsRsnInf/p:Rsn/p:Cd", NS)])


def test_each_terminal_state_gives_its_sender_exactly_one_report(pipeline: Pipeline, tag: str) -> None:
    content = payment_csv(3, tag=tag, execution_date=pipeline.execution_date)
    delivered = pipeline.upload(f"acme-payroll/report-ok-{tag}.csv", content)
    rejected = pipeline.upload(f"acme-payroll/report-bad-{tag}.csv", invalid_csv(pipeline.execution_date))
    failed = pipeline.upload(f"acme-payroll/boom-adaptor-report-{tag}.csv",
                             payment_csv(2, tag=f"{tag}-f", execution_date=pipeline.execution_date))
    assert pipeline.wait_terminal(delivered)["state"] == "delivered"
    duplicate = pipeline.upload(f"acme-payroll/report-again-{tag}.csv", content)

    expected = {delivered: "delivered", rejected: "rejected", duplicate: "duplicate", failed: "failed"}
    for file_id, state in expected.items():
        assert pipeline.wait_terminal(file_id, timeout=90)["state"] == state
    reports = {file_id: wait_report(pipeline, file_id) for file_id in expected}

    assert group_status(reports[delivered]) == ("ACCP", [])
    assert group_status(reports[rejected])[0] == "RJCT"
    assert [t.text for t in reports[rejected].iterfind(".//p:OrgnlEndToEndId", NS)] == ["P-1", "P-2"]
    assert group_status(reports[duplicate]) == ("RJCT", ["AM05"])
    assert delivered in "".join(reports[duplicate].itertext())
    assert group_status(reports[failed]) == ("RJCT", ["NARR"])
    assert "adaptor step failed" in " ".join("".join(reports[failed].itertext()).split())
    assert sorted(reports_for(pipeline, list(expected))) == sorted(
        f"acme-payroll/{f}.pain.002.xml" for f in expected)
    with urllib.request.urlopen(f"{pipeline.stack.http_base}/api/files/{rejected}", timeout=10) as response:
        summary = json.load(response)["summary"]
    assert summary["status_report"] == f"reports/acme-payroll/{rejected}.pain.002.xml"
    assert summary["status_report_written"] is True


def test_a_host_killed_mid_batch_still_gives_each_file_one_report(
        pipeline: Pipeline, webhook: WebhookReceiver, tag: str) -> None:
    stack = pipeline.stack
    file_ids = []
    for n in range(12):
        good = n % 3 != 2
        data = (payment_csv(15, tag=f"{tag}-{n}", execution_date=pipeline.execution_date) if good
                else invalid_csv(pipeline.execution_date).replace(b"P-", f"K{n}-{tag}-".encode()))
        file_ids.append(pipeline.upload(f"acme-payroll/report-kill-{tag}-{n:02d}.csv", data))
    deadline = time.monotonic() + 30
    while not any(read_terminal(pipeline.store, f) for f in file_ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    stack.stop_host(crash=True)
    unreported = [f for f in file_ids if not reports_for(pipeline, [f])]
    assert unreported, "every report was written before the crash; the test proves nothing"
    stack.start_host()

    for file_id in file_ids:
        pipeline.wait_terminal(file_id, timeout=150)
        wait_report(pipeline, file_id, timeout=90)
    expected = sorted(f"acme-payroll/{f}.pain.002.xml" for f in file_ids)
    assert sorted(reports_for(pipeline, file_ids)) == expected
    # The other participant saw each ending once too (by the event's id, as a receiver should count).
    deadline = time.monotonic() + 30
    while len([n for n in webhook.received if n["file_id"] in file_ids]) < len(file_ids):
        assert time.monotonic() < deadline, "some endings never reached the webhook"
        time.sleep(0.2)
    assert sorted(n["file_id"] for n in webhook.received if n["file_id"] in file_ids) == sorted(file_ids)


def test_a_reporter_that_keeps_failing_dead_letters_alerts_and_leaves_the_state(
        pipeline: Pipeline, tag: str) -> None:
    file_id = pipeline.upload(f"acme-payroll/boom-reporter-{tag}.csv",
                              payment_csv(2, tag=tag, execution_date=pipeline.execution_date))
    assert pipeline.wait_terminal(file_id)["state"] == "delivered"
    pipeline.wait_for_count(file_id, "dead_lettered", 1, timeout=90)
    names = pipeline.names(file_id)
    assert names.count("step_failed") == 5 and names[-1] == "dead_lettered"
    archive_names = list(pipeline.store.list_names("workflow", f"deadletter/{file_id}/file-ended/reporter/"))
    assert len(archive_names) == 1
    archive = json.loads(pipeline.store.read("workflow", archive_names[0]))
    assert archive["dead_letter_reason"] == "MaxDeliveryCountExceeded"
    assert archive["last_error"]["error_type"] == "InjectedFault"
    assert (read_terminal(pipeline.store, file_id) or {})["state"] == "delivered"
    assert not reports_for(pipeline, [file_id])
    assert "ALERT participant_gave_up: reporter gave up on file " + file_id in pipeline.host_log()
