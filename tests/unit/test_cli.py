"""The offline dry run as an operator runs it: a subprocess, its exit codes, its stdout/stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.domain.pain001 import validate_pain001

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
VALID = SAMPLES / "incoming" / "acme-payroll" / "2028-01-14-payroll.csv"
INVALID = SAMPLES / "incoming" / "globex-suppliers" / "2028-02-08-with-errors.csv"
PINNED = ["--today", "2026-11-22", "--creation-time", "2026-11-22T08:00:00+00:00"]


def cli(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    # A PIPELINE_TODAY of the test run's own (the e2e rehearsal) must not leak into these pinned checks.
    environment = {k: v for k, v in os.environ.items() if k != "PIPELINE_TODAY"}
    environment.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "shared.cli", *map(str, args)], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_valid_file_exit_0_and_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "out.xml"
    done = cli("check", VALID, "--sender", "acme-payroll", "--out", out, "--json", *PINNED)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    warnings = summary.pop("warnings")
    assert summary == {"state": "valid", "output": str(out), "nb_of_txs": 11, "ctrl_sum": "29618.70",
                       "msg_id": summary["msg_id"], "warning_count": len(warnings)}  # fmt: skip
    assert {"before": "Jörg Müller", "after": "Jorg Muller"}.items() <= warnings[0].items()
    assert len(summary["msg_id"]) <= 35
    validate_pain001(out)
    assert f"<MsgId>{summary['msg_id']}</MsgId>".encode() in out.read_bytes()


def test_rerun_is_byte_identical_and_default_out_is_the_current_folder_not_beside_the_file(
    tmp_path: Path,
) -> None:
    inbox, here = tmp_path / "incoming", tmp_path / "here"
    inbox.mkdir()
    here.mkdir()
    source = inbox / "payroll.csv"
    source.write_bytes(VALID.read_bytes())
    outputs = []
    for _ in range(2):
        assert cli("check", source, "--sender", "acme-payroll", *PINNED, cwd=here).returncode == 0
        outputs.append((here / "payroll.pain001.xml").read_bytes())
    assert outputs[0] == outputs[1]
    assert [p.name for p in inbox.iterdir()] == ["payroll.csv"]  # the samples tree stays clean


def test_today_comes_from_pipeline_today_like_the_functions_and_a_bad_one_is_named(tmp_path: Path) -> None:
    creation = PINNED[2:]
    late = cli("check", VALID, "--sender", "acme-payroll", "--out", tmp_path / "o.xml", *creation,
               env={"PIPELINE_TODAY": "2028-06-01"})  # fmt: skip
    assert late.returncode == 1 and "date_outside_window" in late.stdout  # the samples' dates have passed
    bad = cli("check", VALID, "--sender", "acme-payroll", *creation, env={"PIPELINE_TODAY": "1/6/2028"})
    assert bad.returncode == 2 and "PIPELINE_TODAY" in bad.stderr and "Traceback" not in bad.stderr
    flag = cli("check", VALID, "--sender", "acme-payroll", "--today", "2028-6-1", *creation)
    assert flag.returncode == 2 and "YYYY-MM-DD" in flag.stderr


def test_rejected_file_exit_1_with_the_report_on_stdout(tmp_path: Path) -> None:
    out = tmp_path / "out.xml"
    done = cli("check", INVALID, "--sender", "globex-suppliers", "--out", out, *PINNED)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["state"] == "rejected" and report["error_count"] == len(report["errors"]) > 10
    for error in report["errors"]:
        assert set(error) == {"row", "column", "code", "message"}
        assert error["row"] is None or isinstance(error["row"], int)
    assert {"row": 2, "column": "creditor_iban", "code": "invalid_iban"}.items() <= report["errors"][
        0
    ].items()
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["check", "missing.csv", "--sender", "acme-payroll"], "cannot read missing.csv"),
        (
            ["check", VALID, "--sender", "acme-payroll", "--reference", "nope.json"],
            "cannot read the reference",
        ),
        (["check", VALID, "--sender", "acme-payroll", "--out", "/nonexistent-dir/x.xml"], "cannot write"),
        (["check", VALID, "--sender", ""], "--sender"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str | Path], fragment: str) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert fragment in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_invalid_reference_table_exit_2(tmp_path: Path) -> None:
    table = json.loads((SAMPLES / "reference-table.json").read_text())
    table["senders"]["acme-payroll"]["max_rows"] = -1
    bad = tmp_path / "ref.json"
    bad.write_text(json.dumps(table))
    done = cli("check", VALID, "--sender", "acme-payroll", "--reference", bad)
    assert done.returncode == 2
    assert "senders.acme-payroll.max_rows" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args", [[], ["check"], ["check", "x.csv"], ["check", "x.csv", "--sender", "a", "--today", "x"]]
)
def test_argparse_usage_exit_2(args: list[str]) -> None:
    done = cli(*args)
    assert done.returncode == 2 and "usage:" in done.stderr
