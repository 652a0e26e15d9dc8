"""`python -m localdev.reports FILE_ID [--force]`: re-make a file's pain.002 status report from the store.

For a report that is missing (the reporter dead-lettered, or the ending was never announced because
Service Bus refused it) or was deleted: the same facts the `file.ended` event carries are rebuilt from
the file's terminal state and timeline (`shared/handlers/ending.py`), and the reporter's own code writes
the report, in-process against the stack's storage (no Service Bus needed). An existing report is kept
unless `--force`; the bytes are the same either way, as long as the stored facts are.
"""

from __future__ import annotations

import argparse
import sys
from typing import cast

from azure.storage.blob import BlobServiceClient

from localdev.stack.processes import StackError
from localdev.stack.state import load_state
from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.clock import SystemClock
from shared.domain.reference import ReferenceTable
from shared.handlers.ending import ended_message
from shared.handlers.report_location import report_path
from shared.handlers.reporter import write_report
from shared.ports import BlobStore, OutgoingMessage, PaymentIndex
from shared.services import Services


class _Offline:
    """Neither a publisher nor a reference table is needed to re-make a report; using one is a bug."""

    def publish(self, entity: str, message: OutgoingMessage) -> None:
        raise RuntimeError("re-making a report sends nothing")

    def ready(self) -> None:
        raise RuntimeError("re-making a report sends nothing")

    def load(self) -> ReferenceTable:
        raise RuntimeError("re-making a report reads no reference table")


def remake_report(blobs: BlobStore, file_id: str, *, force: bool = False) -> str:
    """Write the report again; a one-line description of what happened."""
    offline = _Offline()
    # Re-making a report reads stored state only: no publisher, reference table or payment index is used.
    services = Services(blobs=blobs, publisher=offline, clock=SystemClock(), reference=offline,
                        payments=cast(PaymentIndex, offline))
    message = ended_message(services, file_id)
    if message is None:
        raise StackError(f"file {file_id} has not ended (or is unknown): `python -m localdev.status "
                         f"{file_id}` shows where it is")
    written = write_report(services, message, overwrite=force)
    if written is None:
        return (f"{report_path(message.data.sender, file_id)} is already there (kept; --force writes it "
                "again)")
    return f"wrote {written} ({message.data.state})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.reports", description=__doc__)
    parser.add_argument("file_id", help="e.g. acme-payroll.2028-01-14-payroll.7a7878f3")
    parser.add_argument("--force", action="store_true", help="write it even if a report is there")
    args = parser.parse_args(argv)
    try:
        store = AzureBlobStore(BlobServiceClient.from_connection_string(load_state().storage))
        print(remake_report(store, args.file_id, force=args.force))
    except StackError as exc:
        print(f"reports: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
