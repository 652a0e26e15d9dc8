"""`drop FILE [--sender ID]` (`make drop`): upload a file to `incoming/<sender>/` and follow its journey.

`--sender` is required unless the file sits in a folder named after a sender the reference table knows (as
in samples/incoming/<sender>/); the pipeline reads the sender from the blob's path. The journey is shown
the way the local stack shows it, one line per change, until the file ends (or `--timeout`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Collection
from pathlib import Path, PurePosixPath

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from localdev.stack.display import rows
from localdev.stack.journey import FileJourney, JourneyTracker
from localdev.stack.storage import drop_bytes
from ops.errors import OpsError
from ops.target import Target
from shared.topology import REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB


def blob_name_for(path: Path, sender: str | None, known_senders: Collection[str] = ()) -> str:
    """`<sender>/<file name>`: the given sender, or the file's folder when it is named after a known sender
    (as in samples/incoming/); any file name is kept as it is."""
    if sender is not None:
        if not sender or "/" in sender or "\\" in sender or sender in (".", "..") or sender != sender.strip():
            raise OpsError(f"--sender {sender!r} is not a sender id: give one folder name such as "
                           "acme-payroll (no slashes, no spaces around it).")
        return str(PurePosixPath(sender) / path.name)
    folder = path.resolve().parent.name
    if folder in known_senders:
        return str(PurePosixPath(folder) / path.name)
    known = ", ".join(sorted(known_senders)) or "none: is the reference table uploaded?"
    raise OpsError(f"Cannot tell the sender of {path}: its folder {folder!r} is not a known sender. Pass "
                   f"--sender (make drop ... SENDER=acme-payroll); the reference table knows: {known}.")


def known_senders(service: BlobServiceClient) -> list[str]:
    """The sender ids of the reference table the target uses (empty if it cannot be read)."""
    try:
        raw = service.get_blob_client(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB).download_blob().readall()
        senders = json.loads(raw).get("senders", {})
    except (ResourceNotFoundError, ValueError, AttributeError):
        return []
    return sorted(senders) if isinstance(senders, dict) else []


def drop(target: Target, args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        raise OpsError(f"{path} is not a file.")
    senders = known_senders(target.blob_service) if args.sender is None else []
    blob_name = blob_name_for(path, args.sender, senders)
    with path.open("rb") as data:
        etag = drop_bytes(target.blob_service, data, blob_name)
    tracker = JourneyTracker(target.blob_service)
    journey = tracker.expect(blob_name, etag)
    print(f"Dropped {path} as incoming/{blob_name} in {target.name} (file id {journey.file_id})", flush=True)
    if args.no_wait or _follow(tracker, journey, args.timeout):
        return 0
    follow = target.command(f"status {journey.file_id}")
    print(f"ops drop: no terminal state within {args.timeout:.0f}s; `{follow}` shows where it is.",
          file=sys.stderr)
    return 1


def _follow(tracker: JourneyTracker, journey: FileJourney, timeout: float) -> bool:
    """Print each change of the journey until it is complete; whether it completed within `timeout`."""
    deadline = time.monotonic() + timeout
    while not journey.complete and time.monotonic() < deadline:
        for changed in tracker.refresh():
            if changed.terminal is None or changed.complete:  # a finished file once, when complete
                print("\n".join(rows(changed)), flush=True)
        time.sleep(0.3)
    return journey.complete
