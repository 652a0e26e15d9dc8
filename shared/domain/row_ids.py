"""Which payment a row of a payment file is: `payment_id` by line number, read back from the original.

The validator's errors name rows (line numbers, header = 1) because a row whose payment_id is broken
still has to be named; a status report names payments (`OrgnlEndToEndId` = payment_id). This reads the
original once, streaming, with the same CSV reading as the validator, so the two agree on line numbers.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import BinaryIO

from shared.domain.csv_source import CsvSource

# The original may be the very file refused for its size; reading it back has no reason to stop early.
NO_LIMIT = 1 << 50


def payment_ids_by_row(stream: BinaryIO, rows: Collection[int]) -> dict[int, str]:
    """{row: payment_id} for the wanted `rows` that have a non-empty first field (never the header)."""
    wanted = {row for row in rows if row > 1}
    found: dict[int, str] = {}
    if not wanted:
        return found
    for record in CsvSource(stream, NO_LIMIT):
        if record.row in wanted and record.fields and record.fields[0].strip():
            found[record.row] = record.fields[0].strip()
            if len(found) == len(wanted):
                break
    return found
