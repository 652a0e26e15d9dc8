"""`python -m localdev.status FILE_ID` (or `--list`): a file's timeline as a readable table.

Reads the same blobs as the app's `GET /api/files/{file_id}`: the append-only events and terminal.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from azure.storage.blob import BlobPrefix, BlobServiceClient

from localdev.stack.processes import StackError
from localdev.stack.state import load_state
from localdev.stack.summary_text import summary_lines
from shared.adapters.azure_blob import AzureBlobStore
from shared.contracts.timeline import TimelineError
from shared.handlers.status import file_status
from shared.handlers.status import read_report as report_of
from shared.topology import WORKFLOW_CONTAINER

_HIDDEN = {"file_id", "event", "occurred_at", "traceparent", "warnings"}  # warnings: listed under the table


def format_timeline(status: dict[str, Any], report: dict[str, Any] | None = None) -> str:
    """The timeline as a table; with the file's report, also why it was refused when another file
    holds its payments (the earlier file for a duplicate, each payment id with its earlier file)."""
    events = status["events"]
    terminal = status["terminal"] or {}
    where = terminal.get("output") or terminal.get("report") or ""
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


def read_report(store: AzureBlobStore, status: dict[str, Any]) -> dict[str, Any] | None:
    """The rejection or duplicate report the terminal state points to (`rejected/<file id>/report.json`)."""
    return report_of(store, status.get("terminal") or {}) or None


def _short(value: Any, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def list_files(service: BlobServiceClient) -> list[str]:
    container = service.get_container_client(WORKFLOW_CONTAINER)
    return [
        item.name.split("/")[1]
        for item in container.walk_blobs(name_starts_with="timeline/", delimiter="/")
        if isinstance(item, BlobPrefix)
    ]


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `status --list | head`
        return 0
    except TimelineError as exc:  # a stored record this version cannot read: say which, never a traceback
        print(f"status: {exc}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.status", description=__doc__)
    parser.add_argument("file_id", nargs="?", help="e.g. acme-payroll.2028-01-14-payroll.7a7878f3")
    parser.add_argument("--list", action="store_true", help="list every file id with its state")
    parser.add_argument("--json", action="store_true", help="print the raw status JSON")
    args = parser.parse_args(argv)
    if not args.file_id and not args.list:
        parser.error("give a FILE_ID, or --list to see them")
    try:
        service = BlobServiceClient.from_connection_string(load_state().storage)
    except StackError as exc:
        print(f"status: {exc}", file=sys.stderr)
        return 2
    store = AzureBlobStore(service)
    if args.list:
        for file_id in list_files(service):
            found = file_status(store, file_id)
            print(f"{file_id:<60} {found['state'] if found else '?'}")
        return 0
    status = file_status(store, args.file_id)
    if status is None:
        print(
            f"status: no timeline for {args.file_id!r}. File ids look like <sender>.<file stem>.<8 hex>; "
            "`python -m localdev.status --list` shows them.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(status, indent=2, default=str))
    else:
        print(format_timeline(status))  # its summary already holds what the report says
    return 0
