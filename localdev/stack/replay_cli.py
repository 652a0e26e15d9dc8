"""`python -m localdev.replay FILE_ID [--entity E] [--force]`: re-send a dead-lettered payload after a fix."""

from __future__ import annotations

import argparse
import sys

from azure.storage.blob import BlobServiceClient

from localdev.stack.processes import StackError
from localdev.stack.replay import replay
from localdev.stack.state import load_state
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.timeline import read_terminal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.replay", description=__doc__)
    parser.add_argument("file_id")
    parser.add_argument("--entity", help="the queue it was dead-lettered from, when there are several")
    parser.add_argument("--force", action="store_true", help="replay again although it was replayed before")
    args = parser.parse_args(argv)
    try:
        state = load_state()
        done = replay(state.storage, state.service_bus, args.file_id, args.entity, args.force)
    except StackError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    print(done)
    terminal = read_terminal(
        AzureBlobStore(BlobServiceClient.from_connection_string(state.storage)), args.file_id
    )
    if terminal is not None:
        print(
            f"note: {args.file_id} already ended {terminal['state']}; a terminal state is recorded once, so "
            "the replay's steps are added to the timeline but the state stays. To process a corrected file "
            "from scratch, drop it again."
        )
    print(f"Follow it with `python -m localdev.status {args.file_id}`.")
    return 0
