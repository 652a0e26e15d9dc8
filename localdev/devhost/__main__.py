"""`python -m localdev.devhost [--app-dir .] [--port 7071]`: run a v2 function app like `func start`.

Ctrl-C or SIGTERM stops it cleanly: no new work, running invocations get a grace period, clients close.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from localdev.devhost.errors import DevhostError
from localdev.devhost.host import DevHost, HostConfig
from localdev.devhost.logs import configure

log = logging.getLogger("devhost")


def parse_args(argv: list[str] | None) -> HostConfig:
    parser = argparse.ArgumentParser(prog="python -m localdev.devhost", description=__doc__)
    parser.add_argument("--app-dir", type=Path, default=Path("."), help="folder holding function_app.py")
    parser.add_argument("--port", type=int, default=7071, help="HTTP port (default 7071, like func start)")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        help="seconds between blob scans / queue polls / Service Bus receive waits (default 1)",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logs, including the SDKs'")
    args = parser.parse_args(argv)
    if args.poll_interval <= 0:
        parser.error("--poll-interval must be > 0")
    configure(args.verbose)
    return HostConfig(app_dir=args.app_dir, port=args.port, poll_interval=args.poll_interval)


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        host = DevHost(config)
        host.start()
    except DevhostError as exc:
        log.error("%s", exc)
        return 2
    stop.wait()
    host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
