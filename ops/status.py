"""`status FILE_ID` and `list`: a file's timeline (the same answer as `GET /api/files/{file_id}`), and the
file ids with their states: the files in flight (`workflow/open/`), or with `--all` every file that has a
timeline."""

from __future__ import annotations

import argparse
import json
import sys

from azure.storage.blob import BlobPrefix, BlobServiceClient

from ops.errors import NotFoundError
from ops.target import Target
from ops.timeline_text import format_timeline
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.status import file_status
from shared.ports import BlobStore
from shared.topology import WORKFLOW_CONTAINER


def status(target: Target, args: argparse.Namespace) -> int:
    found = file_status(AzureBlobStore(target.blob_service), args.file_id)
    if found is None:
        raise NotFoundError(f"{target.name} has no timeline for {args.file_id!r}. File ids look like "
                            f"<sender>.<file stem>.<8 hex>; `{target.command('list --all')}` shows them.")
    print(json.dumps(found, indent=2, default=str) if args.json else format_timeline(found))
    return 0


def listing(target: Target, args: argparse.Namespace) -> int:
    store = AzureBlobStore(target.blob_service)
    ids = timeline_ids(target.blob_service) if args.all else open_ids(store)
    for file_id in ids:
        found = file_status(store, file_id, details=False)
        print(f"{file_id:<60} {found['state'] if found else '?'}")
    if not ids:
        print(f"no file {'has a timeline' if args.all else 'is in flight'} in {target.name}"
              + ("" if args.all else f"; `{target.command('list --all')}` shows the finished ones too"),
              file=sys.stderr)
    return 0


def open_ids(store: BlobStore) -> list[str]:
    """The files in flight: each has a `workflow/open/<file id>.json` marker until it ends."""
    names = store.list_names(WORKFLOW_CONTAINER, "open/")
    return [name.removeprefix("open/").removesuffix(".json") for name in names]


def timeline_ids(service: BlobServiceClient) -> list[str]:
    """Every file with a timeline (`workflow/timeline/<file id>/`), finished or not."""
    container = service.get_container_client(WORKFLOW_CONTAINER)
    return [item.name.split("/")[1]
            for item in container.walk_blobs(name_starts_with="timeline/", delimiter="/")
            if isinstance(item, BlobPrefix)]  # fmt: skip
