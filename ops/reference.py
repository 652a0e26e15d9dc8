"""`reference [FILE]` (`make reference`): check a reference table and upload it, e.g. after adding a sender.

The table is parsed by the functions' own parser first, so a table they would refuse is never uploaded.
The functions pick it up within REFERENCE_CACHE_SECONDS (60 s by default; the e2e stack uses 5), without a
restart.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ops.errors import OpsError
from ops.target import Target
from shared.domain.reference import ReferenceTableError, parse_reference_table
from shared.topology import REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB

DEFAULT = Path(__file__).resolve().parents[1] / "samples" / "reference-table.json"


def checked(path: Path) -> tuple[bytes, list[str]]:
    """The table's bytes and its sender ids, once the functions' parser accepts it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OpsError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        table = parse_reference_table(data)
    except ReferenceTableError as exc:
        raise OpsError(f"{path}: {exc}; nothing was uploaded.") from None
    return data, sorted(table.senders)


def reference(target: Target, args: argparse.Namespace) -> int:
    data, senders = checked(args.file)
    blob = target.blob_service.get_blob_client(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB)
    blob.upload_blob(data, overwrite=True)
    print(f"Uploaded {args.file} to {REFERENCE_CONTAINER}/{REFERENCE_TABLE_BLOB} in {target.name}: senders "
          f"{', '.join(senders)}. The functions use it within REFERENCE_CACHE_SECONDS (default 60 s).")
    return 0
