"""The commands a developer types: `run --once` (what `make run ONCE=1` calls), and the operator's
`python -m ops` commands behind `make drop/status/list/dlq/replay/report/reference`.

Each runs as a real subprocess: `run` starts its own stack on free ports with its own data folder; the
others reach the session's stack through the same settings the app uses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from localdev.stack.processes import free_port
from localdev.stack.state import alive
from tests.e2e.conftest import Pipeline
from tests.samplefiles import invalid_csv, payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def _run_once(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    ports = [
        arg
        for name in ("blob", "queue", "table", "servicebus", "http", "servicebus-admin")
        for arg in (f"--{name}-port", str(free_port()))
    ]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "localdev.run",
            "--once",
            "--data-dir",
            str(data_dir),
            "--poll-interval",
            "0.2",
            *ports,
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_run_once_processes_every_sample_to_its_expected_state(tmp_path: Path) -> None:
    result = _run_once(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6/6 samples reached their expected state." in result.stdout
    assert "⇒ outgoing/acme-payroll/acme-payroll.2028-01-14-payroll." in result.stdout
    assert not (tmp_path / "stack.json").exists()  # cleared on the way out


def test_run_once_fails_when_a_sample_misses_its_state(tmp_path: Path) -> None:
    result = _run_once(tmp_path, "--faults", "creator=acme-payroll/2028-01-14-payroll*")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "5/6 samples reached their expected state." in result.stdout
    assert "FAIL acme-payroll/2028-01-14-payroll.csv: expected delivered, got failed" in result.stderr


def _cli(pipeline: Pipeline, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PaymentsStorage": pipeline.stack.storage,
        "ServiceBusConnection": pipeline.stack.service_bus,
    }
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_drop_then_status_then_replay_guard(pipeline: Pipeline, tag: str, tmp_path: Path) -> None:
    path = tmp_path / f"cli-{tag}.csv"
    path.write_bytes(payment_csv(2, tag=tag, execution_date=pipeline.execution_date))
    dropped = _cli(pipeline, "ops", "drop", str(path), "--sender", "acme-payroll")
    assert dropped.returncode == 0, dropped.stderr
    file_id = dropped.stdout.split("(file id ")[1].split(")")[0]
    assert "delivered" in dropped.stdout and f"outgoing/acme-payroll/{file_id}.xml" in dropped.stdout
    status = _cli(pipeline, "ops", "status", file_id)
    assert status.returncode == 0 and status.stdout.startswith(f"{file_id}: delivered")
    timeline = status.stdout.split("\n\n")[1].splitlines()[1:]  # the table, not the summary below it
    assert "status report (pain.002): reports/acme-payroll/" in status.stdout
    assert [line.split()[2] for line in timeline] == [
        "received",
        "validated",
        "adapted",
        "delivered",
    ]
    unknown = _cli(pipeline, "ops", "status", f"acme-payroll.nothing.{tag[:8]}")
    assert (
        unknown.returncode == 1 and "no timeline for" in unknown.stderr and "Traceback" not in unknown.stderr
    )
    replay = _cli(pipeline, "ops", "replay", file_id)
    assert replay.returncode == 1 and "No dead-letter archive" in replay.stderr
    kept = _cli(pipeline, "ops", "report", file_id)  # kept unless --force, once the reporter wrote it
    assert kept.returncode == 0 and ("is already there" in kept.stdout or "wrote" in kept.stdout), kept.stderr
    rewritten = _cli(pipeline, "ops", "report", file_id, "--force")
    assert rewritten.returncode == 0 and f"wrote reports/acme-payroll/{file_id}" in rewritten.stdout


def test_status_list_and_the_live_journey_say_why_a_file_was_rejected(
    pipeline: Pipeline, tag: str, tmp_path: Path
) -> None:
    path = tmp_path / "acme-payroll" / f"bad name {tag}.csv"  # a space in the name, the folder a sender's
    path.parent.mkdir()
    path.write_bytes(invalid_csv(pipeline.execution_date))
    dropped = _cli(pipeline, "ops", "drop", str(path))
    assert dropped.returncode == 0, dropped.stderr
    assert f"incoming/acme-payroll/bad name {tag}.csv" in dropped.stdout
    assert "3 error(s)" in dropped.stdout and "[invalid_iban]" in dropped.stdout  # under the journey's row
    file_id = dropped.stdout.split("(file id ")[1].split(")")[0]
    status = _cli(pipeline, "ops", "status", file_id)
    assert "3 error(s):" in status.stdout and "creditor_iban" in status.stdout
    assert "[invalid_date]" in status.stdout
    listed = _cli(pipeline, "ops", "list", "--all")
    assert any(line.split() == [file_id, "rejected"] for line in listed.stdout.splitlines())
    with urllib.request.urlopen(f"{pipeline.stack.http_base}/api/files/{file_id}", timeout=10) as response:
        summary = json.load(response)["summary"]
    assert summary["error_count"] == 3 and {e["column"] for e in summary["errors"]} >= {"creditor_iban"}


def test_drop_refuses_an_unknown_folder_and_a_sender_that_is_not_one_folder(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    path = tmp_path / "nc_tools" / "a.csv"
    path.parent.mkdir()
    path.write_bytes(b"x\n")
    unknown = _cli(pipeline, "ops", "drop", str(path))
    assert unknown.returncode == 2 and "'nc_tools' is not a known sender" in unknown.stderr
    assert "acme-payroll" in unknown.stderr and "Traceback" not in unknown.stderr
    escaping = _cli(pipeline, "ops", "drop", str(path), "--sender", "acme-payroll/../globex-suppliers")
    assert escaping.returncode == 2 and "is not a sender id" in escaping.stderr
    assert len(escaping.stderr.strip().splitlines()) == 1


def test_reference_refuses_a_table_the_functions_would_refuse_and_uploads_a_good_one(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    bad = tmp_path / "reference-table.json"
    bad.write_text('{"senders": 1}')
    refused = _cli(pipeline, "ops", "reference", str(bad))
    assert refused.returncode == 2 and "nothing was uploaded" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    missing = _cli(pipeline, "ops", "reference", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    uploaded = _cli(pipeline, "ops", "reference")  # the samples' table, which the stack started with
    assert uploaded.returncode == 0 and "acme-payroll" in uploaded.stdout, uploaded.stderr


def test_a_report_for_a_file_that_has_not_ended_is_refused_in_one_line(pipeline: Pipeline, tag: str) -> None:
    unknown = _cli(pipeline, "ops", "report", f"acme-payroll.nothing.{tag[:8]}")
    assert unknown.returncode == 1 and "has not ended" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_dlq_shows_the_dead_letter_queues_and_the_archive_of_a_failed_file(
    pipeline: Pipeline, tag: str
) -> None:
    file_id = pipeline.upload(f"acme-payroll/boom-creator-dlq-{tag}.csv",
                              payment_csv(2, tag=tag, execution_date=pipeline.execution_date))  # fmt: skip
    pipeline.wait_terminal(file_id, timeout=90)
    shown = _cli(pipeline, "ops", "deadletters")
    assert shown.returncode == 0, shown.stderr
    assert "file-adapted/$DeadLetterQueue" in shown.stdout
    assert "file-failed/Subscriptions/validator-compensation/$DeadLetterQueue" in shown.stdout
    archive = shown.stdout.split("Archived by the dead-letter handlers")[1]
    line = next(line for line in archive.splitlines() if file_id in line)
    assert "from file-adapted" in line and "InjectedFault" in line
    status = _cli(pipeline, "ops", "status", file_id)
    assert "failed in creator" in status.stdout and "last error: creator: InjectedFault" in status.stdout


def _stop(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "localdev.stop", "--data-dir", str(data_dir)],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def _start_run(data_dir: Path) -> subprocess.Popen[str]:
    ports = [arg for name in ("blob", "queue", "table", "servicebus", "http", "servicebus-admin")
             for arg in (f"--{name}-port", str(free_port()))]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "localdev.run", "--no-samples", "--data-dir", str(data_dir), *ports],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 60
    while not (data_dir / "stack.json").exists():
        assert process.poll() is None and time.monotonic() < deadline, "run did not start"
        time.sleep(0.2)
    return process


def _pids(data_dir: Path) -> dict[str, int]:
    return {k: int(v) for k, v in json.loads((data_dir / "stack.json").read_text())["pids"].items()}


def _gone(pids: dict[str, int], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(pid) for pid in pids.values()):
            return True
        time.sleep(0.2)
    return False


def test_make_stop_stops_a_stack_from_another_terminal(tmp_path: Path) -> None:
    process = _start_run(tmp_path)
    pids = _pids(tmp_path)
    assert set(pids) == {"run", "azurite", "servicebus-emulator", "devhost"}
    try:
        stopped = _stop(tmp_path)
        assert stopped.returncode == 0 and "stopped the stack" in stopped.stdout, stopped.stdout
        assert _gone(pids) and not (tmp_path / "stack.json").exists()
        again = _stop(tmp_path)
        assert again.returncode == 0 and "no local stack is running" in again.stdout
    finally:
        process.kill()
        process.wait(30)


def test_a_stack_whose_terminal_goes_away_stops_itself(tmp_path: Path) -> None:
    process = _start_run(tmp_path)
    pids = _pids(tmp_path)
    try:
        process.stdout.close() if process.stdout else None  # nobody reads its output any more
        os.kill(process.pid, signal.SIGHUP)
        process.wait(60)
        assert _gone(pids), f"orphans left: {[n for n, p in pids.items() if alive(p)]}"
        assert not (tmp_path / "stack.json").exists()
    finally:
        process.kill()
