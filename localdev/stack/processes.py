"""Child processes started by the stack and the tests: free ports, readiness by TCP probe, stop by pid.

Every child gets its own process group, so stopping it (SIGTERM, then SIGKILL after a grace period) also
stops anything it spawned (Azurite's node), and never touches a process we did not start.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from functions_devhost.testing import stop_process_group


class StackError(Exception):
    """A problem the user can fix (a busy port, a missing tool); the message says how."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def require_free(port: int, what: str, option: str) -> None:
    """Fail with a clear message when a port we were told to use is taken."""
    if port_open(port):
        raise StackError(
            f"Port {port} for {what} is already in use. Stop whatever holds it, or choose another "
            f"port with {option}."
        )


class ManagedProcess:
    """A child process with a log file, a readiness probe and a clean stop."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else -1

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
        )

    def wait_for_port(self, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StackError(
                    f"{self.name} exited with code {self.process.returncode} while starting; "
                    f"last lines of {self.log_path}:\n{self.tail()}"
                )
            if port_open(port):
                return
            time.sleep(0.05)
        raise StackError(
            f"{self.name} did not open port {port} within {timeout:.0f}s; see {self.log_path}:\n{self.tail()}"
        )

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 10.0, sig: int = signal.SIGTERM) -> None:
        """Signal the child's process group, wait up to `grace`, then kill it."""
        if self.process is not None:
            stop_process_group(self.process, grace, sig)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a crash would."""
        self.stop(grace=5.0, sig=signal.SIGKILL)
