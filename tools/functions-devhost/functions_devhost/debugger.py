"""Attach a debugger to the devhost: `DEVHOST_DEBUG_PORT=5678` makes it listen with debugpy before the app is
imported (VS Code: the "Attach to the devhost" launch configuration). The counterpart of Core Tools'
`languageWorkers__python__arguments=-m debugpy --listen 9091`; `make run DEBUG=1` sets it."""

from __future__ import annotations

import logging
import os

from functions_devhost.errors import DevhostError

DEBUG_PORT_SETTING = "DEVHOST_DEBUG_PORT"
log = logging.getLogger("devhost")


def listen_if_asked(environ: dict[str, str] | None = None) -> int | None:
    """Start debugpy's listener on 127.0.0.1 when the setting asks for it; returns the port."""
    raw = (os.environ if environ is None else environ).get(DEBUG_PORT_SETTING, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DevhostError(f"setting {DEBUG_PORT_SETTING}={raw!r} is invalid: give a TCP port such as 5678")
    try:
        import debugpy  # a development dependency, imported only when debugging
    except ImportError as exc:
        raise DevhostError(f"{DEBUG_PORT_SETTING} needs debugpy: `make install-run` installs it") from exc
    port = int(raw)
    debugpy.listen(("127.0.0.1", port))
    log.warning("debugger listening on 127.0.0.1:%d: attach with VS Code's \"Attach to the devhost\"", port)
    return port
