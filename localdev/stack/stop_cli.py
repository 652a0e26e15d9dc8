"""`python -m localdev.stop` (`make stop`): stop the running local stack from any terminal.

Asks the `run` process to stop (SIGTERM: it stops Azurite, the emulator and the host by pid, as Ctrl-C
does, and clears `.localdev/stack.json`). If `run` is gone (its terminal was killed, say) but the processes
it started are not, stops each of them by pid: SIGTERM to its process group, then SIGKILL after a grace.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

from localdev.stack.state import DATA_DIR, RUN_PID_KEY, StackState, alive

GRACE_SECONDS = 20.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.stop", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help="the stack's folder (default .localdev/)")  # fmt: skip
    args = parser.parse_args(argv)
    path = args.data_dir / "stack.json"
    try:
        pids = {name: int(pid) for name, pid in json.loads(path.read_text(encoding="utf-8"))["pids"].items()}
    except FileNotFoundError:
        print(f"stop: no local stack is running from {args.data_dir} (no stack.json).")
        return 0
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"stop: cannot read {path} ({exc}); stop the processes by hand or delete it.", file=sys.stderr)
        return 2
    running = {name: pid for name, pid in pids.items() if alive(pid)}
    if not running:
        StackState.clear(path)
        print("stop: the stack had already stopped; cleared its stack.json.")
        return 0
    run_pid = running.pop(RUN_PID_KEY, None)
    if run_pid is not None:
        os.kill(run_pid, signal.SIGTERM)
        if _wait_gone([run_pid, *running.values()], GRACE_SECONDS):
            print(f"stop: stopped the stack (run pid {run_pid}).")
            return 0
    for name, pid in running.items():  # orphans, or a run that did not finish stopping them
        _stop_group(pid)
        print(f"stop: stopped {name} (pid {pid}).")
    StackState.clear(path)
    return 0


def _stop_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)  # each stack process leads its own session (start_new_session)
    if not _wait_gone([pid], 10.0):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _wait_gone([pid], 5.0)


def _wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False
