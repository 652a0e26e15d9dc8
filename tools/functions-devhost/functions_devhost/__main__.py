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


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """The arguments, parsed once; an impossible value ends here with argparse's usage line."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.poll_interval <= 0:
        parser.error("--poll-interval must be > 0")
    if not 0 <= args.worker_index < max(args.worker_count, 1):
        parser.error("bad --worker-index / --worker-count")
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        parser.error(f"--workers must be from 1 to {MAX_WORKERS}, not {args.workers}")
    return args


def worker_count(args: argparse.Namespace) -> tuple[int, str | None]:
    """--workers, else FUNCTIONS_WORKER_PROCESS_COUNT, else 1; a child of the supervisor always runs as 1.

    A bad setting gives one process and a warning to log (returned, since logging is not configured
    yet), so that a value meant for another host never stops this one from starting."""
    if args.worker_count > 1:
        return 1, None
    if args.workers is not None:
        return int(args.workers), None
    try:
        count = configured_worker_count(args.app_dir)
    except ValueError:
        count = 0
    if count is None:
        return 1, None
    if not 1 <= count <= MAX_WORKERS:
        return 1, (f"{WORKER_COUNT_SETTING} must be a whole number from 1 to {MAX_WORKERS}; "
                   "running one process")
    return count, None


def _supervise(args: argparse.Namespace, count: int) -> int:
    """Start `count` worker processes with the same options and wait for them."""
    try:  # once, here: N workers copying local.settings.example.json at once could read half a file
        load_local_settings(args.app_dir.resolve())
    except DevhostError as exc:
        log.error("%s", exc)
        return 2
    base = ["--app-dir", str(args.app_dir), "--port", str(args.port),
            "--poll-interval", str(args.poll_interval)]
    return run_supervisor([*base, *(["--verbose"] if args.verbose else [])], count)


def _host_config(args: argparse.Namespace) -> HostConfig:
    return HostConfig(app_dir=args.app_dir, port=args.port, poll_interval=args.poll_interval,
                      worker_index=args.worker_index, worker_count=max(args.worker_count, 1))


def _run_until_signalled(config: HostConfig, watch_supervisor: bool) -> int:
    """Run one host until SIGINT or SIGTERM (or, for a supervisor's worker, until its parent goes)."""
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
    if watch_supervisor:
        watch_parent(stop)
    stop.wait()
    host.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """One of three roles: a single host, the supervisor of N workers, or one worker (started by it)."""
    args = _parse(argv)
    is_worker = args.worker_count > 1
    count, warning = worker_count(args)
    configure(args.verbose, f"w{args.worker_index}" if is_worker else "sup" if count > 1 else None)
    if warning:
        log.warning("%s", warning)
    if count > 1:
        return _supervise(args, count)
    return _run_until_signalled(_host_config(args), watch_supervisor=is_worker)


if __name__ == "__main__":
    sys.exit(main())
