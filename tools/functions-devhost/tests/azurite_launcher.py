"""A real Azurite for the devhost's tests, found and run without any project around the devhost.

`find_azurite()` looks for the `azurite` executable in AZURITE_BIN, then in `node_modules/.bin/` of the
working directory, of this folder or of any folder above them (a checkout's pinned version wins over a
global one, as with npx), then on PATH. `start_azurite()` runs it in memory on free loopback ports, returns
once its blob and queue services answer, and chooses other ports when one was taken between choosing and
binding it (several test runs share a machine). `Azurite.stop()` signals it by its pid.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient
from functions_devhost.settings import development_storage
from functions_devhost.testing import free_port, stop_process_group

AZURITE_BIN = "AZURITE_BIN"
PORT_ATTEMPTS = 3
HERE = Path(__file__).resolve().parent


class AzuriteNotFoundError(Exception):
    """No azurite executable anywhere this module looks."""


def _candidates() -> Iterator[Path]:
    for start in (Path.cwd().resolve(), HERE):
        for folder in (start, *start.parents):
            yield folder / "node_modules" / ".bin" / "azurite"
    on_path = shutil.which("azurite")
    if on_path is not None:
        yield Path(on_path)


def find_azurite() -> Path:
    """The azurite executable to run, else AzuriteNotFoundError saying where to put one; a wrong AZURITE_BIN
    is an error, not a skip (it was meant to be found)."""
    configured = os.environ.get(AZURITE_BIN, "").strip()
    if configured:
        binary = Path(configured)
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise RuntimeError(f"{AZURITE_BIN}={configured} is not an executable file; point it at azurite "
                               "(e.g. node_modules/.bin/azurite) or unset it")
        return binary
    found = next((path for path in _candidates() if path.is_file() and os.access(path, os.X_OK)), None)
    if found is None:
        raise AzuriteNotFoundError(
            f"no Azurite found: set {AZURITE_BIN}, put azurite on PATH, or run `npm install azurite` in or "
            "above the working directory (it needs Node.js 18+)")
    return found


class Azurite:
    """One Azurite process: blob, queue and table services in memory on loopback ports."""

    def __init__(self, binary: Path, log_path: Path) -> None:
        self.blob, self.queue, self.table = free_port(), free_port(), free_port()
        self.log_path = log_path
        self.command = [str(binary), "--silent", "--inMemoryPersistence", "--disableTelemetry",
                        "--skipApiVersionCheck", "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1",
                        "--tableHost", "127.0.0.1", "--blobPort", str(self.blob), "--queuePort",
                        str(self.queue), "--tablePort", str(self.table)]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def connection_string(self) -> str:
        return development_storage(self.blob, self.queue, self.table)

    def start(self, timeout: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # Its own session, so stop() reaches node and anything it spawned, and nothing else.
        self._process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT,
                                         cwd=self.log_path.parent, start_new_session=True)  # fmt: skip
        try:
            self._wait_for_services(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_for_services(self, timeout: float) -> None:
        """An open port could belong to someone else on a shared machine: ask Azurite itself."""
        clients = (BlobServiceClient.from_connection_string(self.connection_string, retry_total=0),
                   QueueServiceClient.from_connection_string(self.connection_string, retry_total=0))
        deadline = time.monotonic() + timeout
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"Azurite exited while starting; {self.log_path} ends:\n{self.tail()}")
            try:
                for client in clients:
                    client.get_service_properties(timeout=2)
                return
            except (ServiceRequestError, HttpResponseError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Azurite did not answer within {timeout:.0f}s; see {self.log_path}"
                                       ) from None
                time.sleep(0.1)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to its process group by its pid, SIGKILL if it outlives `grace`."""
        if self._process is not None:
            stop_process_group(self._process, grace)
        if self._log is not None:
            self._log.close()
            self._log = None


def start_azurite(binary: Path, log_dir: Path, attempts: int = PORT_ATTEMPTS) -> Azurite:
    """A started Azurite; a port taken before Azurite bound it (EADDRINUSE in its log) means new ports."""
    azurite = Azurite(binary, log_dir / f"azurite-{attempts}.log")
    try:
        azurite.start()
    except RuntimeError:
        if attempts <= 1 or "EADDRINUSE" not in azurite.tail():
            raise
        return start_azurite(binary, log_dir, attempts - 1)
    return azurite
