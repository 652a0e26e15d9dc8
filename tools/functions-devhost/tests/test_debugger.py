"""`DEVHOST_DEBUG_PORT`: the devhost listens for debugpy when asked, and names a bad port."""

from __future__ import annotations

import subprocess
import sys

import pytest
from functions_devhost.debugger import DEBUG_PORT_SETTING, listen_if_asked
from functions_devhost.errors import DevhostError
from functions_devhost.testing import free_port


@pytest.mark.unit
def test_no_setting_no_listener_and_a_bad_port_is_named() -> None:
    assert listen_if_asked({}) is None
    with pytest.raises(DevhostError, match=f"setting {DEBUG_PORT_SETTING}='x' is invalid"):
        listen_if_asked({DEBUG_PORT_SETTING: "x"})


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
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0 and "attached" in done.stdout, done.stderr
