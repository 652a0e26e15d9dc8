"""Start/stop helpers for tests and tools, like moto's ThreadedMotoServer.

`ThreadedEmulator(config)` runs the emulator inside this process (fast, shares the GIL);
`EmulatorProcess(config)` runs `python -m servicebus_emulator` as a child process on free
ports, waits for its ready line, and stops it by process id (`kill()` is a SIGKILL, for crash tests).
Both give `.connection_string`, `.port` and `.health_port`, and work as context managers.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from servicebus_emulator.app import Emulator, Options, connection_string

# Run as `python -m <this package>` from wherever the package was imported, so the helper works the same
# when the emulator is vendored or installed under another name.
PACKAGE = __package__ or "servicebus_emulator"
IMPORT_ROOT = Path(__file__).resolve().parents[len(PACKAGE.split("."))]
READY = re.compile(r"servicebus-emulator ready: amqp=\S+:(?P<port>\d+) health=(?P<health>\S+)")


class ThreadedEmulator:
    """The emulator on a loop thread in this process; `config` is a Config.json path."""

    def __init__(self, config: Path | str, *, health: bool = False, data_dir: Path | None = None,
                 max_message_size: int = 256 * 1024, clock: Any = None) -> None:
        options = Options(Path(config), port=0, health_port=-1 if health else 0, data_dir=data_dir,
                          max_message_size=max_message_size)
        self._emulator = Emulator(options, clock)

    def start(self) -> ThreadedEmulator:
        self._emulator.start()
        return self

    @property
    def emulator(self) -> Emulator:
        return self._emulator

    @property
    def port(self) -> int:
        return self._emulator.port

    @property
    def health_port(self) -> int:
        return self._emulator.health_port

    @property
    def connection_string(self) -> str:
        return self._emulator.connection_string

    def stop(self) -> None:
        self._emulator.stop()

    def __enter__(self) -> ThreadedEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmulatorProcess:
    """`python -m servicebus_emulator` in a child process on free loopback ports."""

    def __init__(self, config_path: Path | str, data_dir: Path | str | None = None, *,
                 health: bool = True, port: int = 0, extra_args: tuple[str, ...] = (),
                 python: str = sys.executable, log_path: Path | None = None, health_port: int = 0,
                 host: str = "127.0.0.1") -> None:  # fmt: skip
        """`health_port` 0 picks a free one when `health`; `log_path` None writes a temporary log."""
        self.config_path = Path(config_path)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.port = port
        self.health_port = health_port
        self.host = host
        self._log_path = log_path
        self.ready_seconds = 0.0
        self.ready_line = ""
        self._health = health
        self._extra = extra_args
        self._python = python
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the emulator process is not running; call start() first")
        return self._process.pid

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    @property
    def log_path(self) -> Path | None:
        return Path(self._log.name) if self._log is not None else None

    def start(self, timeout: float = 20.0) -> EmulatorProcess:
        health = (str(self.health_port) if self.health_port else "-1") if self._health else "0"
        command = [self._python, "-m", PACKAGE, "--config", str(self.config_path),
                   "--host", self.host, "--port", str(self.port), "--health-port", health, *self._extra]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            command += ["--data", str(self.data_dir)]
        # Kept open for the child's lifetime and left on disk afterwards for diagnosis.
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self._log_path.open("a", encoding="utf-8")
        else:
            self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115
                "w+", prefix="sb-emulator-", suffix=".log", delete=False)
        paths = [str(IMPORT_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(paths)}
        started = time.perf_counter()
        # Its own session, so a Ctrl-C meant for the caller's terminal reaches it only through stop().
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log,
                                         text=True, env=env, start_new_session=True)
        line = self._wait_ready(timeout)
        self.ready_seconds = time.perf_counter() - started
        self.ready_line = line
        match = READY.search(line)
        assert match is not None
        self.port = int(match.group("port"))
        health = match.group("health")
        self.health_port = int(health.rsplit(":", 1)[1].split("/")[0]) if health != "off" else 0
        return self

    def _wait_ready(self, timeout: float) -> str:
        assert self._process is not None and self._process.stdout is not None
        result: list[str] = []
        ready = threading.Event()
        reader = threading.Thread(target=self._read_until_ready, args=(result, ready), daemon=True)
        reader.start()
        ready.wait(timeout)
        if not result:
            self.kill()
            raise RuntimeError(f"the emulator did not report ready within {timeout} s; "
                               f"log: {self._log_tail()}")
        return result[0]

    def _read_until_ready(self, result: list[str], ready: threading.Event) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            if READY.search(line):
                result.append(line)
                break
        ready.set()  # also when stdout closed without a ready line: the child died
        # Keep draining stdout so the child never blocks on a full pipe.
        for _ in self._process.stdout:
            pass

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")[-2000:]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM by pid, then SIGKILL if it does not exit in time."""
        if self._process is None or self._process.poll() is not None:
            return
        os.kill(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL by pid: the crash in crash tests."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait(10)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
