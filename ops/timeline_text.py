"""A file's status (`shared.handlers.status.file_status`) as a table a person reads: one line per timeline
event with its offset from the first, then the summary (the errors to fix, the file it duplicates, why it
failed, the warnings); what `python -m ops status` prints."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localdev.stack.summary_text import summary_lines
from shared.contracts.timeline import FileStatus

_HIDDEN = {"file_id", "event", "occurred_at", "traceparent", "warnings"}  # warnings: listed under the table


def format_timeline(status: FileStatus, report: Mapping[str, Any] | None = None) -> str:
    """The timeline as a table; with the file's report, also why it was refused when another file
    holds its payments (the earlier file for a duplicate, each payment id with its earlier file)."""
    events = status["events"]
    terminal = status["terminal"]
    where = (terminal.get("output") or terminal.get("report") or "") if terminal else ""
    lines = [f"{status['file_id']}: {status['state']}" + (f"  ⇒ {where}" if where else ""), ""]
    lines.append(f"{'TIME (UTC)':<28} {'+SECONDS':>9}  {'EVENT':<14} DETAILS")
    start = datetime.fromisoformat(events[0]["occurred_at"]) if events else None
    for event in events:
        when = datetime.fromisoformat(event["occurred_at"])
        offset = (when - start).total_seconds() if start else 0.0
        details = ", ".join(f"{k}={_short(v)}" for k, v in event.items() if k not in _HIDDEN)
        lines.append(f"{event['occurred_at']:<28} {offset:>9.3f}  {event['event']:<14} {details}")
    summary = dict(status.get("summary") or {})
    for key in ("duplicate_payments", "duplicate_of"):  # a report read by the caller says the same, fuller
        if report and report.get(key) and not summary.get(key):
            summary[key] = report[key]
    shown = summary_lines(summary)
    if shown:
        lines += ["", *shown]
    return "\n".join(lines)


def _short(value: Any, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
