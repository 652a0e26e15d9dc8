"""Newline-delimited JSON: one compact JSON object per line, UTF-8, for payloads and staged documents.

Used for the claim-check blobs and the offline pipeline's spill files; reading is lazy so that a large
payload is never held in memory at once. Lines are encoded and decoded with orjson (about ten times
faster than the standard library's json for a payment record, which matters at a million lines); its
output is byte for byte what `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` writes for
the same record, so a redelivery (or a process of the previous version) stages the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import orjson

# Values JSON has no type for are written as their str(), as `json.dumps(default=str)` did: dates,
# datetimes and dataclasses too (orjson would otherwise spell them its own way). Records carry amounts
# as decimal strings already; a stray Decimal would still be its exact string, never a float.
_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class NdjsonError(ValueError):
    """A line of an NDJSON stream is not a JSON object; the message gives the line number."""


def ndjson_line(record: dict[str, Any]) -> bytes:
    """One record as its line: compact JSON, UTF-8 (not ASCII-escaped), ending in a newline."""
    return orjson.dumps(record, default=str, option=_OPTIONS)


def write_ndjson(records: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    """Write each record as one line; return how many were written."""
    count = 0
    for record in records:
        out.write(ndjson_line(record))
        count += 1
    return count


def read_ndjson(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """Yield each line's object lazily; blank lines are skipped, anything else must be a JSON object
    in UTF-8 (a line that is not valid UTF-8 is refused as not valid JSON)."""
    loads = orjson.loads
    for number, line in enumerate(stream, start=1):
        try:
            record = loads(line)
        except orjson.JSONDecodeError as exc:
            if not line.strip():
                continue
            raise NdjsonError(f"NDJSON line {number} is not valid JSON: {exc}") from None
        if type(record) is not dict:
            raise NdjsonError(f"NDJSON line {number} must be a JSON object, got {type(record).__name__}")
        yield record
