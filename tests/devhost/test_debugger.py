"""`make run DEBUG=1` / VS Code's "Attach to the devhost": the devhost listens for debugpy when asked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from functions_devhost.debugger import DEBUG_PORT_SETTING, listen_if_asked
from functions_devhost.errors import DevhostError

from localdev.stack.processes import free_port
from localdev.stack.run import DEBUG_PORT

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.unit
def test_no_setting_no_listener_and_a_bad_port_is_named() -> None:
    assert listen_if_asked({}) is None
    with pytest.raises(DevhostError, match=f"setting {DEBUG_PORT_SETTING}='x' is invalid"):
        listen_if_asked({DEBUG_PORT_SETTING: "x"})


@pytest.mark.unit
def test_vscode_attaches_where_make_run_debug_listens() -> None:
    launch = json.loads((ROOT / ".vscode" / "launch.json").read_text())
    tasks = {t["label"] for t in json.loads((ROOT / ".vscode" / "tasks.json").read_text())["tasks"]}
    attach = next(c for c in launch["configurations"] if c["name"] == "Attach to the devhost")
    assert attach["connect"]["port"] == DEBUG_PORT and attach["preLaunchTask"] in tasks
    assert all(c.get("preLaunchTask", "make run") in tasks for c in launch["configurations"])


@pytest.mark.integration
def test_the_listener_accepts_a_debugger_connection() -> None:
    port = free_port()
    script = (
        "import socket, sys\n"
        "from functions_devhost.debugger import listen_if_asked\n"
        f"listen_if_asked({{'{DEBUG_PORT_SETTING}': '{port}'}})\n"
        f"socket.create_connection(('127.0.0.1', {port}), timeout=10).close()\n"
        "print('attached')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0 and "attached" in done.stdout, done.stderr
