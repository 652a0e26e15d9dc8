"""`python -m localdev.run [--once]`: the whole pipeline locally, in one command.

Checks the install, starts Azurite, the Service Bus emulator and the devhost (or `func start` with
`--host func`), uploads the reference table, drops the bundled samples into `incoming/` and shows each
file's journey live; then keeps watching for files you drop until Ctrl-C, and stops all three by pid.
`--once` exits after the samples: 0 only if each reached the state `samples/expected.json` gives it.
`--today YYYY-MM-DD` pins the bank's date (the app's `PIPELINE_TODAY`) to rehearse a day on purpose.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from datetime import date
from pathlib import Path
from types import FrameType

from azure.storage.blob import BlobServiceClient
from functions_devhost.debugger import DEBUG_PORT_SETTING

from localdev.stack.display import Display
from localdev.stack.install import check_python, ensure_azurite
from localdev.stack.journey import JourneyTracker
from localdev.stack.ports import choose_ports
from localdev.stack.processes import StackError
from localdev.stack.samples import load_samples
from localdev.stack.stack import LocalStack, StackOptions
from localdev.stack.state import DATA_DIR, RUN_PID_KEY, StackState, refuse_if_running
from localdev.stack.storage import drop_bytes
from shared.adapters.clock import clock_from_environment
from shared.settings import PIPELINE_TODAY_SETTING, ConfigurationError, parse_pipeline_today

DEBUG_PORT = 5678  # debugpy's usual port; .vscode/launch.json attaches to it
PORTS = (("blob", 10000), ("queue", 10001), ("table", 10002), ("servicebus", 5672), ("http", 7071),
         ("servicebus_admin", 5300))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--once", action="store_true", help="process the samples, check their states, exit")
    add("--host", choices=("devhost", "func"), default="devhost",
        help="run the app with the devhost (default) or `func start` (needs Core Tools)")  # fmt: skip
    for name, default in PORTS:
        add(f"--{name.replace('_', '-')}-port", type=int, dest=f"{name}_port", default=None,
            help=f"{name} port (default {default}, or a free one if that is busy)")  # fmt: skip
    add("--data-dir", type=Path, default=DATA_DIR,
        help="where Azurite's data, the logs and stack.json go (default: .localdev/, ignored)")  # fmt: skip
    add("--no-samples", action="store_true", help="do not drop the bundled samples")
    add("--keep-data", action="store_true",
        help="keep Azurite's data and the emulator's messages from the previous run")  # fmt: skip
    add("--emulator-in-memory", action="store_true",
        help="the Service Bus emulator in memory (faster; a killed emulator loses its messages)")  # fmt: skip
    add(
        "--faults",
        default="",
        help="PIPELINE_FAULTS for this run (testing only), e.g. 'adaptor=*/boom-adaptor*'",
    )
    add("--timeout", type=float, default=180.0, help="--once: seconds to wait (default 180)")
    add("--poll-interval", type=float, default=0.5, help="devhost polling, seconds (default 0.5)")
    add("--today", default=None, metavar="YYYY-MM-DD",
        help="pin the bank's date (PIPELINE_TODAY) to rehearse a day; default: the clock's")  # fmt: skip
    add("--debug", action="store_true",
        help="the devhost listens for a debugger on 127.0.0.1:5678 (VS Code: Attach to the devhost)")
    add("--workers", type=int, default=None,
        help="host processes (devhost --workers, FUNCTIONS_WORKER_PROCESS_COUNT; default 1)")  # fmt: skip
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.workers is not None and not 1 <= args.workers <= 10:
        parser.error("--workers must be from 1 to 10")
    if args.debug and (args.workers or 1) > 1:
        parser.error("--debug attaches to one devhost process; leave out --workers")
    try:
        # --today wins over PIPELINE_TODAY in the environment; either is checked here, not in the host.
        args.today = parse_pipeline_today(args.today or os.environ.get(PIPELINE_TODAY_SETTING, ""))
    except ConfigurationError:
        parser.error(f"--today {args.today!r} (or {PIPELINE_TODAY_SETTING}) must be a date as YYYY-MM-DD")
    if args.host == "func" and shutil.which("func") is None:
        parser.error(
            "--host func needs Azure Functions Core Tools (`func`) on PATH; omit it to use the devhost"
        )
    return args


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _prepare(args: argparse.Namespace, display: Display) -> LocalStack:
    refuse_if_running(args.data_dir / "stack.json")
    check_python()
    ensure_azurite()
    ports, notes = choose_ports({name: getattr(args, f"{name}_port") for name, _ in PORTS})
    for note in notes:
        display.message(f"note: {note}")
    if args.host == "devhost" and shutil.which("func"):
        display.message("note: `func` is on PATH; `python -m localdev.run --host func` runs the app with "
                        "Core Tools against the same Azurite and emulator")  # fmt: skip
    extra = {"PIPELINE_FAULTS": args.faults} if args.faults else {}
    if args.debug:
        extra[DEBUG_PORT_SETTING] = str(DEBUG_PORT)
    if args.today is not None:
        extra[PIPELINE_TODAY_SETTING] = args.today.isoformat()
        display.message(f"note: the bank's date is pinned to {args.today} ({PIPELINE_TODAY_SETTING}), "
                        "whatever the clock says")  # fmt: skip
    options = StackOptions(args.data_dir, ports, poll_interval=args.poll_interval, host=args.host,
                           keep_data=args.keep_data, emulator_in_memory=args.emulator_in_memory,
                           extra_env=extra, workers=args.workers)  # fmt: skip
    return LocalStack(options)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM is `make stop`; SIGHUP is the terminal going away: either way, stop everything by pid.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    display = Display()
    try:
        stack = _prepare(args, display)
    except StackError as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(stack, args, display)
    except StackError as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        display.message("Stopping…")
        return 0 if not args.once else 130
    finally:
        stack.stop()
        StackState.clear(args.data_dir / "stack.json")
        display.message("Stopped Azurite, the emulator and the host.")


def _run(stack: LocalStack, args: argparse.Namespace, display: Display) -> int:
    started = time.monotonic()
    display.message("Starting Azurite, the Service Bus emulator and the host…")
    stack.start()
    pids = {RUN_PID_KEY: os.getpid(), **stack.pids()}
    StackState(stack.storage, stack.service_bus, stack.http_base, pids).save(
        args.data_dir / "stack.json"
    )
    blob_endpoint = stack.storage.split("BlobEndpoint=")[1].split(";")[0]
    display.message(
        f"Ready in {time.monotonic() - started:.1f}s: storage {blob_endpoint}, "
        f"Service Bus {stack.service_bus.split(';')[0]} (admin: {stack.emulator_admin}), "
        f"HTTP {stack.http_base}/api/files/<file id>\n"
        f"Logs: {args.data_dir}/{args.host}.log. "
        + ("Processing the samples, then exiting." if args.once
           else "Drop files with `make drop FILE=…`; Ctrl-C or `make stop` stops.")
    )
    service = BlobServiceClient.from_connection_string(stack.storage)
    tracker = JourneyTracker(service)
    if not args.no_samples:
        sample_set = load_samples(_bank_today(args))
        for note in sample_set.notes():
            display.message(f"note: {note}")
        for sample in sample_set.samples:
            etag = drop_bytes(service, sample.content, sample.blob_name)
            tracker.expect(sample.blob_name, etag, sample.expected)
    if args.once:
        return _finish_once(stack, tracker, display, args.timeout)
    _watch(stack, tracker, display)
    return 0


def _bank_today(args: argparse.Namespace) -> date:
    """The date the samples must fit: the app's own clock decides (with the same PIPELINE_TODAY,
    BANK_TIME_ZONE and BANK_CUT_OFF the host gets), so the two never disagree."""
    environ = dict(os.environ)
    if args.today is not None:
        environ[PIPELINE_TODAY_SETTING] = args.today.isoformat()
    try:
        return clock_from_environment(environ).today()
    except ConfigurationError as exc:
        raise StackError(str(exc)) from None


def _poll(stack: LocalStack, tracker: JourneyTracker, display: Display, discover: bool) -> None:
    if stack.host is not None and not stack.host.running():
        raise StackError(f"the host stopped unexpectedly; last lines of its log:\n{stack.host.tail()}")
    if discover:
        tracker.discover()
    changed = tracker.refresh()
    display.update(list(tracker.files.values()), changed)


def _watch(stack: LocalStack, tracker: JourneyTracker, display: Display) -> None:
    while True:
        _poll(stack, tracker, display, discover=True)
        time.sleep(0.5)


def _finish_once(stack: LocalStack, tracker: JourneyTracker, display: Display, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while tracker.unfinished() and time.monotonic() < deadline:
        _poll(stack, tracker, display, discover=False)
        time.sleep(0.3)
    journeys = list(tracker.files.values())
    display.summary(journeys)
    wrong = [j for j in journeys if j.state != j.expected]
    for journey in wrong:
        print(
            f"FAIL {journey.blob_name}: expected {journey.expected}, got {journey.state} "
            f"(`python -m ops status {journey.file_id}` while a stack runs)",
            file=sys.stderr,
        )
    print(f"{len(journeys) - len(wrong)}/{len(journeys)} samples reached their expected state.")
    return 1 if wrong else 0
