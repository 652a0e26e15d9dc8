"""The dry run's status report: `check FILE --status-report OUT.xml` writes the pain.002 the pipeline would
send the sender for this file (accepted, or rejected with a transaction per bad payment), offline.

The same builder as FileReporter (`shared/domain/pain002.py`), fed from the dry run's own result instead
of a `file.ended` event, so the two can never disagree about what a verdict looks like.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from shared.domain.ids import make_msg_id
from shared.domain.pain002 import ReportFacts, build_pain002, issues_from
from shared.domain.row_ids import payment_ids_by_row
from shared.domain.validation import ValidationResult


def dry_run_facts(result: ValidationResult, source: Path, *, file_id: str, blob_path: str,
                  ended_at: datetime) -> ReportFacts:
    """What the report says about this dry run's verdict."""
    if result.valid:
        return ReportFacts(file_id=file_id, state="delivered", blob_name=blob_path, ended_at=ended_at,
                           msg_id=make_msg_id(file_id), nb_of_txs=result.row_count,
                           ctrl_sum=result.control_sum)
    errors = [dict(e) for e in result.to_report()["errors"]]
    rows = {e["row"] for e in errors if isinstance(e.get("row"), int)}
    with source.open("rb") as stream:
        ids = payment_ids_by_row(stream, rows)
    for error in errors:
        error["payment_id"] = ids.get(error["row"]) if isinstance(error.get("row"), int) else None
    return ReportFacts(file_id=file_id, state="rejected", blob_name=blob_path, ended_at=ended_at,
                       errors=issues_from(errors, "error"), error_count=result.issue_count)


def write_status_report(facts: ReportFacts, out: Path) -> None:
    """Build, check against the schema, and write `out` whole (a temporary file renamed into place)."""
    data = build_pain002(facts)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False) as staged:
        staged.write(data)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(staged.name, 0o666 & ~mask)  # a temporary file is 0600; OUT is an ordinary file
    os.replace(staged.name, out)
