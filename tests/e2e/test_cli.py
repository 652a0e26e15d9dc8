"""The commands a developer types: `run --once` (what `make run ONCE=1` calls), `drop`, `status`, `replay`.

Each runs as a real subprocess: `run` starts its own stack on free ports with its own data folder; the
others reach the session's stack through the same settings the app uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from localdev.stack.processes import free_port
from tests.e2e.conftest import Pipeline
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def _run_once(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    ports = [
        arg
        for name in ("blob", "queue", "table", "servicebus", "http")
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
    dropped = _cli(pipeline, "localdev.drop", str(path), "--sender", "acme-payroll")
    assert dropped.returncode == 0, dropped.stderr
    file_id = dropped.stdout.split("(file id ")[1].split(")")[0]
    assert "delivered" in dropped.stdout and f"outgoing/acme-payroll/{file_id}.xml" in dropped.stdout
    status = _cli(pipeline, "localdev.status", file_id)
    assert status.returncode == 0 and status.stdout.startswith(f"{file_id}: delivered")
    assert [line.split()[2] for line in status.stdout.splitlines()[3:]] == [
        "received",
        "validated",
        "adapted",
        "created",
        "delivered",
    ]
    unknown = _cli(pipeline, "localdev.status", f"acme-payroll.nothing.{tag[:8]}")
    assert (
        unknown.returncode == 1 and "no timeline for" in unknown.stderr and "Traceback" not in unknown.stderr
    )
    replay = _cli(pipeline, "localdev.replay", file_id)
    assert replay.returncode == 2 and "No dead-letter archive" in replay.stderr
