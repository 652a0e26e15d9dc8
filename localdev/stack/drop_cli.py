"""`python -m localdev.drop FILE [--sender ID]`: upload a file to `incoming/<sender>/` and follow its journey.

The sender is the file's parent folder unless `--sender` is given (the pipeline reads it from the path).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from localdev.stack.display import row
from localdev.stack.journey import JourneyTracker
from localdev.stack.processes import StackError
from localdev.stack.state import load_state
from localdev.stack.storage import blob_name_for, drop_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.drop", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--sender", help="sender id (default: the file's folder name)")
    parser.add_argument("--no-wait", action="store_true", help="upload and return without following it")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to follow it (default 120)")
    args = parser.parse_args(argv)
    try:
        storage = load_state().storage
        blob_name = blob_name_for(args.file, args.sender)
        etag = drop_file(storage, args.file, blob_name)
    except StackError as exc:
        print(f"drop: {exc}", file=sys.stderr)
        return 2
    tracker = JourneyTracker(storage)
    journey = tracker.expect(blob_name, etag)
    print(f"Dropped {args.file} as incoming/{blob_name} (file id {journey.file_id})", flush=True)
    if args.no_wait:
        return 0
    deadline = time.monotonic() + args.timeout
    while not journey.complete and time.monotonic() < deadline:
        for changed in tracker.refresh():
            print(row(changed), flush=True)
        time.sleep(0.3)
    if not journey.complete:
        print(
            f"drop: no terminal state within {args.timeout:.0f}s; "
            f"`python -m localdev.status {journey.file_id}` shows where it is.",
            file=sys.stderr,
        )
        return 1
    return 0
