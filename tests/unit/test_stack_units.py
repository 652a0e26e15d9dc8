"""Pure parts of the local stack: port choice, expected sample states, journey rendering, replay routing, and
VS Code attaching where `make run DEBUG=1` makes the devhost listen."""

from __future__ import annotations

import io
import json
import socket
from datetime import date
from pathlib import Path

import pytest

from localdev.stack.display import Display, row
from localdev.stack.journey import FileJourney
from localdev.stack.ports import choose_ports
from localdev.stack.processes import StackError
from localdev.stack.run import DEBUG_PORT
from localdev.stack.samples import load_samples
from ops.drop import blob_name_for
from ops.errors import OpsError
from ops.replay import target_of

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_a_busy_default_port_moves_with_a_note_but_a_busy_explicit_port_is_an_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StackError, match=rf"Port {port} \(--http-port\) is already in use"):
            choose_ports({"http": port})
    ports, _ = choose_ports({"blob": None})
    assert len(set(vars(ports).values())) == 6


def test_only_the_samples_expected_json_names_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "incoming" / "acme").mkdir(parents=True)
    (tmp_path / "incoming" / "acme" / "a.csv").write_bytes(b"execution_date\n2028-01-14\n")
    (tmp_path / "incoming" / "acme" / "a.pain001.xml").write_bytes(b"<Document/>")  # a dry run's output
    (tmp_path / "expected.json").write_text('{"_dates_valid_until": "2028-01-13", "acme/a.csv": "delivered"}')
    sample_set = load_samples(date(2028, 1, 1), tmp_path)
    assert [(s.blob_name, s.expected) for s in sample_set.samples] == [("acme/a.csv", "delivered")]
    assert sample_set.ignored == ["acme/a.pain001.xml"] and "a.pain001.xml" in sample_set.notes()[0]


def test_the_bundled_samples_are_named_with_their_states() -> None:
    samples = {s.blob_name: s.expected for s in load_samples(date(2027, 1, 4)).samples}
    assert samples["globex-suppliers/2028-02-08-with-errors.csv"] == "rejected"
    assert samples["acme-payroll/2028-01-14-payroll.csv"] == "delivered"


@pytest.mark.parametrize("content", ['{"acme/a.csv": "delivered"}', '{"_dates_valid_until": "2028-01-13", '
                                     '"acme/a.csv": "paid"}', "not json"])  # fmt: skip
def test_a_broken_expected_json_is_a_clear_stack_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "incoming" / "acme").mkdir(parents=True)
    (tmp_path / "incoming" / "acme" / "a.csv").write_bytes(b"x\n")
    (tmp_path / "expected.json").write_text(content)
    with pytest.raises(StackError, match=r"expected\.json"):
        load_samples(date(2028, 1, 1), tmp_path)


def test_journey_steps_fold_repeats_and_show_the_output() -> None:
    events = [{"event": "received", "occurred_at": "2026-11-22T00:00:00Z"},
              {"event": "step_failed", "occurred_at": "2026-11-22T00:00:01Z"},
              {"event": "step_failed", "occurred_at": "2026-11-22T00:00:02Z"},
              {"event": "failed", "occurred_at": "2026-11-22T00:00:03.5Z"}]  # fmt: skip
    journey = FileJourney("acme.x.12345678", "acme/x.csv", "failed", events, {"state": "failed"})
    assert journey.steps() == "received +0.00s → step_failedx2 +2.00s → failed +3.50s"
    assert journey.complete and journey.output == "failed/acme.x.12345678/"
    assert row(journey).startswith("✖ acme/x.csv")


def test_replay_targets_and_sender_folders() -> None:
    assert target_of("file-validated") == ("file-validated", False)
    assert target_of("file-failed/Subscriptions/adaptor-compensation") == ("file-failed", True)
    with pytest.raises(OpsError, match="dropping the corrected original"):
        target_of("webjobs-blobtrigger-poison")
    known = ["acme-payroll", "globex-suppliers"]
    assert blob_name_for(Path("samples/incoming/acme-payroll/a.csv"), None, known) == "acme-payroll/a.csv"
    spaced = blob_name_for(Path("x/name with spaces.csv"), "acme-payroll")
    assert spaced == "acme-payroll/name with spaces.csv"
    with pytest.raises(OpsError, match=r"'nc_tools' is not a known sender\. Pass --sender"):
        blob_name_for(Path("nc_tools/a.csv"), None, known)
    for bad in ["acme-payroll/../globex-suppliers", "", " acme", "a\\b", ".."]:
        with pytest.raises(OpsError, match="is not a sender id"):
            blob_name_for(Path("a.csv"), bad, known)


def test_a_finished_file_is_printed_once_with_its_first_errors_and_a_gone_terminal_is_quiet() -> None:
    out = io.StringIO()
    display = Display(out)
    events = [{"event": "received", "occurred_at": "2026-11-22T00:00:00Z"}]
    journey = FileJourney("acme.x.12345678", "acme/x.csv", "rejected", list(events))
    journey.terminal = {"state": "rejected", "report": "rejected/acme.x.12345678/report.json"}
    display.update([journey], [journey])  # terminal.json written, its event not yet: wait
    assert out.getvalue() == ""
    journey.events.append({"event": "rejected", "occurred_at": "2026-11-22T00:00:00.1Z"})
    journey.summary = {"error_count": 5, "errors": [
        {"row": 2, "column": "amount", "code": "amount_format", "message": "row 2, amount: '+1' is not ..."}]}
    display.update([journey], [journey])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith("✘ acme/x.csv") and "5 error(s), the first 1:" in lines[1]
    assert lines[2].strip() == "row 2, amount: '+1' is not ... [amount_format]"

    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(5, "Input/output error")

    Display(Gone()).message("Stopping…")  # the terminal went away: no exception, the stack still stops


def test_vscode_attaches_where_make_run_debug_listens() -> None:
    launch = json.loads((ROOT / ".vscode" / "launch.json").read_text())
    tasks = {t["label"] for t in json.loads((ROOT / ".vscode" / "tasks.json").read_text())["tasks"]}
    attach = next(c for c in launch["configurations"] if c["name"] == "Attach to the devhost")
    assert attach["connect"]["port"] == DEBUG_PORT and attach["preLaunchTask"] in tasks
    assert all(c.get("preLaunchTask", "make run") in tasks for c in launch["configurations"])
