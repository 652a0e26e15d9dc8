"""`python -m functions_devhost [--app-dir .] [--port 7071]`: run a v2 function app like `func start`.

Ctrl-C or SIGTERM stops it cleanly: no new work, running invocations get a grace period, clients close.
`--workers N` (or FUNCTIONS_WORKER_PROCESS_COUNT) runs N processes; see supervisor.py.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from functions_devhost.debugger import listen_if_asked
from functions_devhost.errors import DevhostError
from functions_devhost.host import DevHost, HostConfig
from functions_devhost.logs import configure
from functions_devhost.settings import load_local_settings
from functions_devhost.supervisor import (
    MAX_WORKERS,
    WORKER_COUNT_SETTING,
    configured_worker_count,
    run_supervisor,
    watch_parent,
)

log = logging.getLogger("devhost")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m functions_devhost", description=__doc__)
    parser.add_argument("--app-dir", type=Path, default=Path("."), help="folder holding function_app.py")
    parser.add_argument("--port", type=int, default=7071, help="HTTP port (default 7071, like func start)")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        help="seconds between blob scans / queue polls / Service Bus receive waits (default 1)",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logs, including the SDKs'")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"worker processes (default: {WORKER_COUNT_SETTING} from the environment or "
        "local.settings.json, else 1); blobs are partitioned, queues are competing consumers, "
        "HTTP is served by worker 0",
    )
    parser.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--worker-count", type=int, default=1, help=argparse.SUPPRESS)
    return parser


def parse_args(argv: list[str] | None) -> HostConfig:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.poll_interval <= 0:
        parser.error("--poll-interval must be > 0")
    configure(args.verbose)
    return HostConfig(app_dir=args.app_dir, port=args.port, poll_interval=args.poll_interval)


def worker_count(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """--workers, else FUNCTIONS_WORKER_PROCESS_COUNT, else 1; a child of the supervisor always runs as 1.

    A bad --workers is an error; a bad setting is a warning (and one process), so that a value meant for
    another host never stops this one from starting."""
    if args.worker_count > 1:
        return 1
    if args.workers is not None:
        if not 1 <= args.workers <= MAX_WORKERS:
            parser.error(f"--workers must be from 1 to {MAX_WORKERS}, not {args.workers}")
        return int(args.workers)
    try:
        count = configured_worker_count(args.app_dir)
    except ValueError:
        count = 0
    if count is None:
        return 1
    if not 1 <= count <= MAX_WORKERS:
        log.warning(
            "%s must be a whole number from 1 to %d; running one process", WORKER_COUNT_SETTING, MAX_WORKERS
        )
        return 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure(args.verbose)
    count = worker_count(args, parser)
    if count > 1:
        if args.poll_interval <= 0:
            parser.error("--poll-interval must be > 0")
        configure(args.verbose, "sup")
        try:  # once, here: N workers copying local.settings.example.json at once could read half a file
            load_local_settings(args.app_dir.resolve())
        except DevhostError as exc:
            log.error("%s", exc)
            return 2
        base = [
            "--app-dir",
            str(args.app_dir),
            "--port",
            str(args.port),
            "--poll-interval",
            str(args.poll_interval),
        ]
        return run_supervisor([*base, *(["--verbose"] if args.verbose else [])], count)
    if args.worker_count > 1:
        return _worker(args, parser)
    config = parse_args(argv)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        listen_if_asked()
        host = DevHost(config)
        host.start()
    except DevhostError as exc:
        log.error("%s", exc)
        return 2
    stop.wait()
    host.stop()
    return 0


def _worker(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """One of the supervisor's N processes (only ever started by it)."""
    if not 0 <= args.worker_index < args.worker_count or args.poll_interval <= 0:
        parser.error("bad --worker-index / --worker-count / --poll-interval")
    configure(args.verbose, f"w{args.worker_index}")
    config = HostConfig(
        app_dir=args.app_dir,
        port=args.port,
        poll_interval=args.poll_interval,
        worker_index=args.worker_index,
        worker_count=args.worker_count,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        listen_if_asked()
        host = DevHost(config)
        host.start()
    except DevhostError as exc:
        log.error("%s", exc)
        return 2
    watch_parent(stop)
    stop.wait()
    host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
