"""The devhost as a child process (`python -m functions_devhost`), ready when `/admin/host/status` answers."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from localdev.stack.processes import ManagedProcess, StackError, free_port


class DevhostProcess(ManagedProcess):
    """Runs the app in `app_dir` with `env` (the stack's settings win over local.settings.json)."""

    def __init__(
        self,
        app_dir: Path,
        env: dict[str, str],
        log_path: Path,
        port: int | None = None,
        poll_interval: float = 0.5,
        *,
        workers: int | None = None,
    ) -> None:
        self.port = port or free_port()
        command = [
            sys.executable,
            "-m",
            "functions_devhost",
            "--app-dir",
            str(app_dir),
            "--port",
            str(self.port),
            "--poll-interval",
            str(poll_interval),
            *(["--workers", str(workers)] if workers is not None else []),
        ]
        repo = Path(__file__).resolve().parents[2]
        env = {
            **env,
            "PYTHONPATH": f"{repo}:{env.get('PYTHONPATH', '')}".rstrip(":"),
            "PYTHONUNBUFFERED": "1",
        }
        super().__init__("devhost", command, log_path, env=env, cwd=app_dir)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_and_wait(self, timeout: float = 60.0) -> None:
        self.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise StackError(
                    f"the devhost exited while starting; last lines of {self.log_path}:\n{self.tail()}"
                )
            if self._status_ok():
                return
            time.sleep(0.1)
        raise StackError(
            f"the devhost did not report Running within {timeout:.0f}s; see {self.log_path}:\n{self.tail()}"
        )

    def _status_ok(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/admin/host/status", timeout=1) as response:
                return bool(json.load(response).get("state") == "Running")
        except (OSError, urllib.error.URLError, ValueError):
            return False
