"""`python -m localdev.drop FILE [--sender ID]`: upload a file to `incoming/<sender>/` and follow its journey.

`--sender` is required unless the file sits in a folder named after a sender the reference table knows (as
in samples/incoming/<sender>/); the pipeline reads the sender from the blob's path.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from localdev.stack.display import rows
from localdev.stack.journey import JourneyTracker
from localdev.stack.processes import StackError
from localdev.stack.state import load_state
from localdev.stack.storage import blob_name_for, drop_file, known_senders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.drop", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--sender", help="sender id (default: the file's folder, if it is a known sender)")
    parser.add_argument("--no-wait", action="store_true", help="upload and return without following it")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to follow it (default 120)")
    args = parser.parse_args(argv)
    try:
        storage = load_state().storage
        senders = known_senders(storage) if args.sender is None else []
        blob_name = blob_name_for(args.file, args.sender, senders)
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
            if changed.terminal is None or changed.complete:  # a finished file once, when complete
                print("\n".join(rows(changed)), flush=True)
        time.sleep(0.3)
    if not journey.complete:
        print(
            f"drop: no terminal state within {args.timeout:.0f}s; "
            f"`python -m localdev.status {journey.file_id}` shows where it is.",
            file=sys.stderr,
        )
        return 1
    return 0
