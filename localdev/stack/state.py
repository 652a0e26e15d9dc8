"""Where the running stack lives: ports, connection strings and pids in `.localdev/stack.json`.

`run` writes it once everything is up and removes it on a clean stop; `python -m ops` (`--target local`)
reads it, so its commands reach the same Azurite and emulator without the user copying connection strings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from localdev.stack.processes import StackError

RUN_PID_KEY = "run"  # the `run` process itself, beside the processes it started: `stop` signals it first
REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / ".localdev"
STATE_FILE = DATA_DIR / "stack.json"


@dataclass(frozen=True)
class StackState:
    """What the operator tools need to reach a running stack."""

    storage: str
    service_bus: str
    http_base: str
    pids: dict[str, int]

    def save(self, path: Path = STATE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @staticmethod
    def clear(path: Path = STATE_FILE) -> None:
        path.unlink(missing_ok=True)


def refuse_if_running(path: Path) -> None:
    """Another `run` from the same data folder would wipe the data under a live Azurite: refuse clearly."""
    if not path.exists():
        return
    try:
        pids = json.loads(path.read_text(encoding="utf-8")).get("pids", {})
    except (OSError, ValueError):
        return
    running = {name: pid for name, pid in pids.items() if alive(int(pid))}
    if running:
        listed = ", ".join(f"{name} pid {pid}" for name, pid in running.items())
        raise StackError(
            f"A local stack is already running from {path.parent} ({listed}). Stop it with `make stop` "
            "(or Ctrl-C in its terminal), or start another with --data-dir DIR."
        )


def alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped by its parent, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # /proc/<pid>/stat: "pid (name) state ..."; the name may hold spaces and parentheses.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill(0) is all there is
    return state != "Z"


def load_state(path: Path = STATE_FILE) -> StackState:
    """The running stack's state; the environment's `PaymentsStorage`/`ServiceBusConnection` win if set."""
    storage = os.environ.get("PaymentsStorage", "")  # noqa: SIM112 (the app setting's own name)
    service_bus = os.environ.get("ServiceBusConnection", "")  # noqa: SIM112
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        return StackState(
            storage or data["storage"],
            service_bus or data["service_bus"],
            data["http_base"],
            data.get("pids", {}),
        )
    if storage:
        return StackState(storage, service_bus, "", {})
    raise StackError(
        "The local stack is not running (no .localdev/stack.json). Start it with `make run` in "
        "another terminal, or set PaymentsStorage and ServiceBusConnection to reach another one."
    )
