"""`check FILE --status-report OUT.xml`: the offline pain.002, the same verdict the pipeline would send,
with stdout (the JSON report, or the --json line) unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from shared.domain.pain002_schema import NAMESPACE, validate_pain002
from tests.unit.test_cli import INVALID, PINNED, VALID, cli

pytestmark = pytest.mark.unit
NS = {"p": NAMESPACE}


def test_a_valid_file_gets_an_accepted_report_naming_its_pain001(tmp_path: Path) -> None:
    report = tmp_path / "status.xml"
    done = cli("check", VALID, "--sender", "acme-payroll", "--out", tmp_path / "out.xml", "--json",
               "--status-report", report, *PINNED)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # the --json line as it always was
    assert set(summary) == {"state", "output", "nb_of_txs", "ctrl_sum", "msg_id", "warning_count", "warnings"}
    validate_pain002(report.read_bytes())
    root = etree.parse(report).getroot()
    assert root.findtext(".//p:OrgnlMsgId", namespaces=NS) == summary["msg_id"]
    assert root.findtext(".//p:GrpSts", namespaces=NS) == "ACCP"
    assert root.findtext(".//p:OrgnlNbOfTxs", namespaces=NS) == str(summary["nb_of_txs"])


def test_a_rejected_file_gets_a_transaction_per_bad_payment(tmp_path: Path) -> None:
    report = tmp_path / "status.xml"
    done = cli("check", INVALID, "--sender", "globex-suppliers", "--status-report", report, *PINNED)
    assert done.returncode == 1
    errors = json.loads(done.stdout)["errors"]
    validate_pain002(report.read_bytes())
    root = etree.parse(report).getroot()
    assert root.findtext(".//p:GrpSts", namespaces=NS) == "RJCT"
    rows = {e["row"] for e in errors if e["row"] is not None}
    assert len(root.findall(".//p:TxInfAndSts", NS)) == len(rows)
    assert "GLX-INV-90001" in [e.text for e in root.iterfind(".//p:OrgnlEndToEndId", NS)]
    assert "status report written" in done.stderr


def test_an_unwritable_status_report_is_a_usage_error(tmp_path: Path) -> None:
    done = cli("check", VALID, "--sender", "acme-payroll", "--out", tmp_path / "out.xml",
               "--status-report", tmp_path / "missing" / "status.xml", *PINNED)
    assert done.returncode == 2 and "cannot write" in done.stderr
