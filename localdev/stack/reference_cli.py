"""`python -m localdev.reference [FILE]` (`make reference`): check a reference table and upload it to the
running stack, e.g. after adding a sender. The functions pick it up within REFERENCE_CACHE_SECONDS (60 s by
default; the e2e stack uses 5), without a restart."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from localdev.stack.processes import StackError
from localdev.stack.state import load_state
from shared.domain.reference import ReferenceTableError, parse_reference_table
from shared.topology import REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB

DEFAULT = Path(__file__).resolve().parents[2] / "samples" / "reference-table.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.reference", description=__doc__)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT,
                        help="the table to upload (default: samples/reference-table.json)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        data = args.file.read_bytes()
        table = parse_reference_table(data)  # the same parser as the functions: refuse what they would
        storage = load_state().storage
    except OSError as exc:
        print(f"reference: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ReferenceTableError as exc:
        print(f"reference: {args.file}: {exc}; nothing was uploaded.", file=sys.stderr)
        return 2
    except StackError as exc:
        print(f"reference: {exc}", file=sys.stderr)
        return 2
    service = BlobServiceClient.from_connection_string(storage)
    service.get_blob_client(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB).upload_blob(data, overwrite=True)
    print(f"Uploaded {args.file} to {REFERENCE_CONTAINER}/{REFERENCE_TABLE_BLOB}: senders "
          f"{', '.join(sorted(table.senders))}. The functions use it within REFERENCE_CACHE_SECONDS "
          "(default 60 s).")  # fmt: skip
    return 0
