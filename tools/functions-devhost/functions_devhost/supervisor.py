"""`--workers N` (or `FUNCTIONS_WORKER_PROCESS_COUNT`): N devhost processes, like the host's worker processes.

Opt-in; with 1 (the default) none of this runs. The supervisor runs no function itself: it starts N children
(`python -m functions_devhost ... --worker-index i --worker-count N`) with the same settings, and on Ctrl-C or
SIGTERM stops them by pid (SIGTERM, then SIGKILL after the grace period). If one child exits, it stops the
others and exits with that child's code, so a start-up error is not hidden behind a half-running host.

How the work is split:
- Service Bus and Storage-queue triggers: each child has its own receivers (competing consumers);
- blob triggers: child i handles the blobs with `zlib.crc32("container/name") % N == i`, so each blob
  version runs in exactly one process; receipts stay per blob version, so a restart with another N is safe;
- HTTP: only child 0 listens, on the configured port (the others serve no HTTP).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from types import FrameType

from functions_devhost.settings import EXAMPLE_SETTINGS, LOCAL_SETTINGS

log = logging.getLogger("devhost.supervisor")

WORKER_COUNT_SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_WORKERS = 10  # the host's own upper bound for FUNCTIONS_WORKER_PROCESS_COUNT


def in_partition(container: str, blob_name: str, index: int, count: int) -> bool:
    """Whether worker `index` of `count` owns this blob (every blob has exactly one owner)."""
    return count <= 1 or zlib.crc32(f"{container}/{blob_name}".encode()) % count == index


def configured_worker_count(app_dir: Path, environ: dict[str, str] | None = None) -> int | None:
    """`FUNCTIONS_WORKER_PROCESS_COUNT` from the environment, else from local.settings.json (or its example,
    which the host copies when the file is missing); None when unset or unreadable (the host reports a bad
    settings file itself)."""
    env = os.environ if environ is None else environ
    raw = env.get(WORKER_COUNT_SETTING)
    if raw is None:
        for name in (LOCAL_SETTINGS, EXAMPLE_SETTINGS):
            path = app_dir / name
            if not path.exists():
                continue
            try:
                values = json.loads(path.read_text(encoding="utf-8-sig")).get("Values", {})
                raw = values.get(WORKER_COUNT_SETTING) if isinstance(values, dict) else None
            except (OSError, ValueError, AttributeError):
                raw = None
            break
    if raw is None or not str(raw).strip():
        return None
    return int(str(raw).strip())


class Supervisor:
    """Starts the worker processes and stops them, each by its pid."""

    def __init__(self, base_args: list[str], count: int, grace_seconds: float = 15.0) -> None:
        self._base_args = base_args
        self._count = count
        self._grace = grace_seconds
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        parent = str(os.getpid())
        for index in range(self._count):
            command = [
                sys.executable,
                "-m",
                "functions_devhost",
                *self._base_args,
                "--worker-index",
                str(index),
                "--worker-count",
                str(self._count),
            ]
            child = subprocess.Popen(command, env={**os.environ, "DEVHOST_SUPERVISOR_PID": parent})
            self.children.append(child)
            log.info("Worker %d of %d started (pid %d)", index, self._count, child.pid)

    def wait(self, stop: threading.Event) -> int:
        """Until `stop` is set (0) or a child exits by itself (its code, or 1)."""
        while not stop.wait(0.2):
            for index, child in enumerate(self.children):
                code = child.poll()
                if code is not None:
                    log.error(
                        "Worker %d (pid %d) exited with code %d; stopping the others", index, child.pid, code
                    )
                    return code or 1
        return 0

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._grace
        for child in self.children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning("Worker pid %d did not stop within %.0fs; killing it", child.pid, self._grace)
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                child.wait(timeout=5)
        log.info("All %d workers stopped", len(self.children))


def run_supervisor(base_args: list[str], count: int) -> int:
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    supervisor = Supervisor(base_args, count)
    try:
        supervisor.start()
        code = supervisor.wait(stop)
    finally:
        supervisor.stop()
    return code


def watch_parent(stop: threading.Event) -> None:
    """In a worker: stop when the supervisor is gone (e.g. killed with SIGKILL), so no worker is orphaned."""
    expected = os.environ.get("DEVHOST_SUPERVISOR_PID")
    if not expected:
        return

    def _watch() -> None:
        while not stop.wait(1.0):
            if str(os.getppid()) != expected:
                log.warning("The supervisor (pid %s) is gone; stopping", expected)
                stop.set()

    threading.Thread(target=_watch, name="watch-supervisor", daemon=True).start()
