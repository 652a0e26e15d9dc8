"""`python -m ops status` shows what validation changed in a file it accepted."""

from __future__ import annotations

import pytest

from ops.timeline_text import format_timeline

pytestmark = pytest.mark.unit


def test_the_timeline_lists_the_warnings_under_the_table() -> None:
    warning = {"row": 3, "column": "creditor_name", "code": "transliterated", "before": "Jörg Müller",
               "after": "Jorg Muller", "rows": 4,
               "message": "row 3, creditor_name: 'Jörg Müller' is sent as 'Jorg Muller': ..."}  # fmt: skip
    status = {
        "file_id": "acme.f.00000000", "state": "delivered", "terminal": {"output": "outgoing/x.xml"},
        "events": [{"event": "validated", "occurred_at": "2026-11-20T08:00:00+00:00", "warning_count": 1,
                    "warnings": [warning]}],
        "summary": {"warnings": [warning]},
    }  # fmt: skip
    text = format_timeline(status)
    assert "warning_count=1" in text and "warnings=" not in text  # not a JSON dump in the table
    assert "'Jorg Muller': ... [transliterated] (on 4 rows)" in text
