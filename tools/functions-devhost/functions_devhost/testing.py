"""Start/stop helper for tests and tools, like the Service Bus emulator's `EmulatorProcess`.

`DevhostProcess(app_dir, env, log_path)` runs `python -m functions_devhost` for the app in `app_dir` as a
child process on a free loopback port (or the one given), with `env` as its whole environment (the
environment beats local.settings.json, as under `func start`), and its output in `log_path`. `start()`
returns once `/admin/host/status` says Running, the devhost's own ready signal, which with `workers` means
worker 0 serves HTTP. `stop()` signals the child's process group by its pid (the child has its own session,
so this reaches its workers and nothing else), SIGTERM first and SIGKILL after a grace period; `kill()` is
the crash. A failed start raises `DevhostStartError` with the last lines of the log. It works as a context
manager. `free_port()` is the port chooser it uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

# Run as `python -m <this package>` from wherever the package was imported, so the child runs the same copy
# as the caller even when another one is installed (a checkout put first on PYTHONPATH).
PACKAGE = (__package__ or "functions_devhost").split(".")[0]
IMPORT_ROOT = Path(__file__).resolve().parents[1]


class DevhostStartError(RuntimeError):
    """The devhost exited or did not become ready; the message quotes its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (another process may still take it before the devhost binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 10.0,
                       sig: int = signal.SIGTERM) -> None:
    """Signal a child started in its own session (by its pid, so its children too), wait up to `grace`,
    then SIGKILL the group."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


class DevhostProcess:
    """`python -m functions_devhost` for one app, in a child process on a loopback port."""

    def __init__(self, app_dir: Path | str, env: Mapping[str, str] | None = None,
                 log_path: Path | str | None = None, *, port: int = 0, poll_interval: float = 0.5,
                 workers: int | None = None, extra_args: tuple[str, ...] = (),
                 python: str = sys.executable) -> None:  # fmt: skip
        """`env` None is this process's environment; `port` 0 a free one; `log_path` None a temporary file;
        `workers` None the devhost's own default (FUNCTIONS_WORKER_PROCESS_COUNT, else 1)."""
        self.app_dir = Path(app_dir)
        self.port = port or free_port()
        self.log_path = Path(log_path) if log_path is not None else _temporary_log()
        self.ready_seconds = 0.0
        workers_args = ["--workers", str(workers)] if workers is not None else []
        self.command = [python, "-m", PACKAGE, "--app-dir", str(self.app_dir), "--port", str(self.port),
                        "--poll-interval", str(poll_interval), *workers_args, *extra_args]  # fmt: skip
        base = dict(os.environ if env is None else env)
        paths = [str(IMPORT_ROOT), *filter(None, base.get("PYTHONPATH", "").split(os.pathsep))]
        self.env = {**base, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1"}
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the devhost process was never started; call start() first")
        return self._process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 60.0) -> DevhostProcess:
        """Start the child and return once it reports Running; DevhostStartError if it exits or times out."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Appended to, kept open for the child's lifetime and left on disk afterwards for diagnosis.
        self._log = self.log_path.open("ab")
        started = time.perf_counter()
        # Its own session: a Ctrl-C meant for the caller's terminal reaches it only through stop().
        self._process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT,
                                         env=self.env, cwd=self.app_dir, start_new_session=True)  # fmt: skip
        try:
            self._wait_running(timeout)
        except DevhostStartError:
            self.stop()  # a child that never became ready is not left running
            raise
        self.ready_seconds = time.perf_counter() - started
        return self

    def _wait_running(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise DevhostStartError(
                    f"the devhost exited while starting; last lines of {self.log_path}:\n{self.tail()}")
            if self._status_running():
                return
            time.sleep(0.1)
        raise DevhostStartError(
            f"the devhost did not report Running within {timeout:.0f}s; see {self.log_path}:\n{self.tail()}")

    def _status_running(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/admin/host/status", timeout=1) as response:
                return bool(json.load(response).get("state") == "Running")
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def tail(self, lines: int = 15) -> str:
        """The last `lines` of the log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 10.0, sig: int = signal.SIGTERM) -> None:
        """Signal the child's process group (by its pid), wait up to `grace`, then SIGKILL it."""
        if self._process is not None:
            stop_process_group(self._process, grace, sig)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL the process group, as a crash would."""
        self.stop(grace=5.0, sig=signal.SIGKILL)

    def __enter__(self) -> DevhostProcess:
        """Starts it unless it already runs, so `with DevhostProcess(...).start() as host:` works too."""
        return self if self.running() else self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.stop()


def _temporary_log() -> Path:
    handle, name = tempfile.mkstemp(prefix="functions-devhost-", suffix=".log")
    os.close(handle)
    return Path(name)
