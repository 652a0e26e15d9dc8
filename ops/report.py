"""`report FILE_ID [--force]` (`make report`): re-make a file's pain.002 status report from the store.

For a report that is missing (the reporter dead-lettered, or the ending was never announced because
Service Bus refused it) or was deleted: the same facts the `file.ended` event carries are rebuilt from
the file's terminal state and timeline (`shared/handlers/ending.py`), and the reporter's own code writes
the report, in-process against the target's storage (no Service Bus needed). An existing report is kept
unless `--force`; the bytes are the same either way, as long as the stored facts are.
"""

from __future__ import annotations

import argparse
from typing import cast

from ops.errors import NotFoundError
from ops.target import Target
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
        raise NotFoundError(f"file {file_id} has not ended (or is unknown): `python -m ops status "
                            f"{file_id}` shows where it is")
    written = write_report(services, message, overwrite=force)
    if written is None:
        return (f"{report_path(message.data.sender, file_id)} is already there (kept; --force writes it "
                "again)")
    return f"wrote {written} ({message.data.state})"


def report(target: Target, args: argparse.Namespace) -> int:
    print(remake_report(AzureBlobStore(target.blob_service), args.file_id, force=args.force))
    return 0
