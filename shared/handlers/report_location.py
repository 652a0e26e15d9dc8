"""Where a file's pain.002 status report lives, and whether it is there yet (for status and the reporter).

Kept apart from `reporter.py` so the status function and the local tools name the report without
importing the ISO 20022 bindings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.contracts.timeline import TimelineEvent
from shared.handlers.timeline import file_facts
from shared.ports import BlobStore
from shared.topology import REPORTS_CONTAINER

NO_SENDER = "unknown-sender"  # a file outside any sender folder still gets its report, kept apart


def report_name(sender: str, file_id: str) -> str:
    return f"{sender or NO_SENDER}/{file_id}.pain.002.xml"


def report_path(sender: str, file_id: str) -> str:
    """`reports/<sender>/<file id>.pain.002.xml`."""
    return f"{REPORTS_CONTAINER}/{report_name(sender, file_id)}"


def report_summary(blobs: BlobStore, terminal: Mapping[str, Any],
                   events: list[TimelineEvent]) -> dict[str, Any]:
    """`{status_report, status_report_written}` for an ended file (the reporter runs just after the end,
    so a moment later it may not be written yet); empty while the file is in progress."""
    file_id = str(terminal.get("file_id") or "")
    if not file_id:
        return {}
    sender, _ = file_facts(events)
    name = report_name(sender, file_id)
    return {"status_report": f"{REPORTS_CONTAINER}/{name}",
            "status_report_written": blobs.exists(REPORTS_CONTAINER, name)}
