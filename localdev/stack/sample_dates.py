"""Keeps the bundled samples valid on any day: their execution dates move forward by whole weeks.

The samples are realistic CSV files with fixed dates, valid as written up to the day `samples/expected.json`
gives as `_dates_valid_until`. On a later bank date, every execution date in a sample moves forward by the
same whole number of weeks, the fewest that make the earliest date fall after today. A common shift keeps
each date where its author meant it (inside the window, or deliberately in the past or malformed), and
whole weeks keep the days of the week, so business-day rules see a Friday as a Friday. Nothing on disk
changes; only the bytes dropped into `incoming/` do, and the stack says so.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

EXECUTION_DATE_COLUMN = "execution_date"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOM = "\ufeff"


def weeks_to_shift(today: date, valid_until: date) -> int:
    """0 while the samples are valid as written; else the fewest whole weeks that carry
    `valid_until` past `today` (so the earliest sample date, the day after it, is after today)."""
    late_by = (today - valid_until).days
    return 0 if late_by <= 0 else -(-late_by // 7)


def shift_execution_dates(content: bytes, weeks: int) -> bytes:
    """The CSV with every valid ISO date in its `execution_date` column moved `weeks` forward.

    Other columns, malformed dates, the line endings, a BOM and the final newline are kept; with
    `weeks == 0` (or no such column) the bytes are returned unchanged."""
    if weeks == 0:
        return content
    text = content.decode("utf-8")
    bom = _BOM if text.startswith(_BOM) else ""
    text = text.removeprefix(_BOM)
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or EXECUTION_DATE_COLUMN not in rows[0]:
        return content
    column = rows[0].index(EXECUTION_DATE_COLUMN)
    for row in rows[1:]:
        if len(row) > column:
            row[column] = _shifted(row[column], weeks)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=newline).writerows(rows)
    shifted = out.getvalue()
    if not text.endswith(("\n", "\r")):
        shifted = shifted.removesuffix(newline)
    return (bom + shifted).encode("utf-8")


def _shifted(value: str, weeks: int) -> str:
    if not _ISO_DATE.fullmatch(value):
        return value
    try:
        return (date.fromisoformat(value) + timedelta(weeks=weeks)).isoformat()
    except ValueError:  # 2028-02-30 stays what it was: a date the sample means to be wrong
        return value
