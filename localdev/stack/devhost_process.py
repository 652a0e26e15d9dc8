"""The devhost for the stack: `functions_devhost.testing.DevhostProcess`, with a failed start raised as a
StackError whose message (quoting the devhost's log) LocalStack._on_free_ports reads to tell a port that
another process took between choosing and binding it.
"""

from __future__ import annotations

from functions_devhost import testing

from localdev.stack.processes import StackError


class DevhostProcess(testing.DevhostProcess):
    """Runs the app in `app_dir` with `env` (the stack's settings win over local.settings.json)."""

    def start_and_wait(self, timeout: float = 60.0) -> None:
        try:
            self.start(timeout)
        except testing.DevhostStartError as exc:
            raise StackError(str(exc)) from None
