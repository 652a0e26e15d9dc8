"""Newline-delimited JSON: one compact JSON object per line, UTF-8, for payloads and staged documents.

Used for the claim-check blobs and the offline pipeline's spill files; reading is lazy so that a large
payload is never held in memory at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO


class NdjsonError(ValueError):
    """A line of an NDJSON stream is not a JSON object; the message gives the line number."""


def write_ndjson(records: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    """Write each record as one line; return how many were written."""
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for record in records:
        out.write(dumps(record).encode("utf-8") + b"\n")
        count += 1
    return count


def read_ndjson(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """Yield each line's object lazily; blank lines are skipped, anything else must be a JSON object."""
    loads = json.loads
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise NdjsonError(f"NDJSON line {number} is not valid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise NdjsonError(f"NDJSON line {number} must be a JSON object, got {type(record).__name__}")
        yield record
