"""How a blob in `incoming/` becomes a file id, the same way in the validator and the poison handler.

The blob trigger and the host's poison message both carry the blob's ETag; quoting differs between
sources (`"0x8D…"` vs `0x8D…`), so it is normalised before it enters the hash.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

from shared.domain.ids import make_file_id, sender_from_blob_path, slug

UNKNOWN_SENDER = "unknown-sender"
FILE_ID = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+\.[0-9a-f]{8}$")


def is_file_id(text: str | None) -> bool:
    """What `incoming_file_id` produces; anything else (from a message we cannot read) is not trusted."""
    return bool(text and FILE_ID.match(text))


def normalise_etag(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def incoming_file_id(blob_name: str, etag: str) -> str:
    """`make_file_id` for a well-placed blob; a stable `unknown-sender.…` id for one outside a folder."""
    version = normalise_etag(etag)
    try:
        return make_file_id(blob_name, version)
    except ValueError:
        digest = hashlib.sha256(f"{blob_name}\n{version}".encode()).hexdigest()[:8]
        return f"{UNKNOWN_SENDER}.{slug(PurePosixPath(blob_name).stem)}.{digest}"


def sender_or_none(blob_name: str) -> tuple[str | None, str]:
    """(sender, "") or (None, the actionable reason the blob has no sender folder)."""
    try:
        return sender_from_blob_path(blob_name), ""
    except ValueError as exc:
        return None, str(exc)
