"""A file's status summary (`shared.handlers.status.summarise`) as lines a person reads: the errors to fix,
the file it duplicates, why it failed, what was changed on the way."""

from __future__ import annotations

from typing import Any


def summary_lines(summary: dict[str, Any], limit: int | None = None) -> list[str]:
    """`limit` caps the errors and warnings shown (a few in the live journey; `status` shows all it has)."""
    lines: list[str] = []
    payments = summary.get("duplicate_payments") or []
    if payments:
        earlier = summary.get("duplicate_of") or []
        named = ", ".join(earlier) if isinstance(earlier, list) else str(earlier)
        lines.append(f"{len(payments)} payment(s) already held by an earlier file ({named}):")
        for item in payments if limit is None else payments[:limit]:
            state = "delivered" if item.get("earlier_state") == "delivered" else "in flight"
            lines.append(f"  row {item.get('row')!s:<6} {item.get('payment_id')!s:<36} {state} in "
                         f"{item.get('earlier_file')} (incoming/{item.get('earlier_blob_name')}) "
                         f"since {item.get('since')}")  # fmt: skip
    elif summary.get("duplicate_of"):
        lines.append(f"duplicate of: {summary['duplicate_of']} (the same payments, compared payment by "
                     "payment); nothing was sent again")
    errors = summary.get("errors") or []
    if "error_count" in summary:
        shown = errors if limit is None else errors[:limit]
        count = int(summary["error_count"])
        lines.append(f"{count} error(s){f', the first {len(shown)}' if len(shown) < count else ''}:")
        lines += [f"  {_error(e)}" for e in shown]
    if summary.get("failed_step") or summary.get("reason"):
        lines.append(f"failed in {summary.get('failed_step', '?')}: {summary.get('reason', '')}".rstrip(": "))
    if summary.get("needs_attention"):
        lines.append("needs attention: " + str(summary.get("compensation_failure") or "see the timeline"))
    if summary.get("last_error"):
        lines.append(f"last error: {summary['last_error']}")
    if summary.get("status_report"):
        pending = "" if summary.get("status_report_written") else " (being written)"
        lines.append(f"status report (pain.002): {summary['status_report']}{pending}")
    warnings = summary.get("warnings") or []
    if warnings:
        shown_warnings = warnings if limit is None else warnings[:limit]
        lines.append(f"{len(warnings)} warning(s):")
        lines += [f"  {_error(w)}{_rows(w)}" for w in shown_warnings]
    return lines


def _rows(warning: Any) -> str:
    """` (on 4 rows)` for a change the validator made on several rows (it reports each once)."""
    rows = warning.get("rows") if isinstance(warning, dict) else None
    return f" (on {rows} rows)" if isinstance(rows, int) and rows > 1 else ""


def _error(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    message = str(item.get("message", ""))
    where = ", ".join(str(item[k]) for k in ("row", "column") if item.get(k) not in (None, ""))
    if where and not message.startswith("row "):  # the validator's messages already say where
        message = f"row {where}: {message}" if item.get("row") is not None else f"{where}: {message}"
    return f"{message} [{item['code']}]" if item.get("code") else message
