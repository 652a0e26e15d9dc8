"""Pays once, through the real stack: the same payments are never delivered twice, whatever bytes carry
them, and the customer is told which earlier file holds them (the report and the `status` view)."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from ops.timeline_text import format_timeline
from shared.handlers.status import file_status, read_report
from shared.topology import OUTGOING_CONTAINER, REJECTED_CONTAINER
from tests.e2e.conftest import Pipeline
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def resaved(data: bytes) -> bytes:
    """The same payments saved by another tool: BOM, CRLF, rows reversed, no final newline."""
    header, *rows = data.decode().splitlines()
    return b"\xef\xbb\xbf" + "\r\n".join([header, *reversed(rows)]).encode()


def delivered_ids(pipeline: Pipeline, file_id: str) -> list[str]:
    xml = pipeline.store.read(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml").decode()
    return re.findall(r"<EndToEndId>([^<]+)</EndToEndId>", xml)


def test_a_re_saved_copy_ends_duplicate_and_a_shared_payment_id_is_refused_naming_the_earlier_file(
    pipeline: Pipeline, tag: str
) -> None:
    original = payment_csv(3, tag=tag, execution_date=pipeline.execution_date)
    first = pipeline.upload(f"acme-payroll/once-{tag}.csv", original)
    assert pipeline.wait_terminal(first)["state"] == "delivered"

    copy = pipeline.upload(f"acme-payroll/once-copy-{tag}.csv", resaved(original))
    assert pipeline.wait_terminal(copy)["state"] == "duplicate"
    assert_terminal_state(pipeline.store, copy, "duplicate")
    assert json.loads(pipeline.store.read(REJECTED_CONTAINER, f"{copy}/report.json"))["duplicate_of"] == first

    overlapping = payment_csv(4, tag=tag, execution_date=pipeline.execution_date).splitlines(keepends=True)
    later_content = b"".join([overlapping[0], *overlapping[3:]])  # ids 3 (delivered above) and 4
    later = pipeline.upload(f"acme-payroll/once-later-{tag}.csv", later_content)
    assert pipeline.wait_terminal(later)["state"] == "rejected"
    assert_terminal_state(pipeline.store, later, "rejected")
    report = json.loads(pipeline.store.read(REJECTED_CONTAINER, f"{later}/report.json"))
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(2, "duplicate_payment")]
    assert report["duplicate_payments"][0]["payment_id"] == f"{tag}-00003"
    assert report["duplicate_payments"][0]["earlier_file"] == first
    status = file_status(pipeline.store, later)
    assert status is not None
    shown = format_timeline(status, read_report(pipeline.store, status["terminal"] or {}))
    assert f"{tag}-00003" in shown and first in shown and f"once-{tag}.csv" in shown


def test_copies_dropped_at_once_are_never_both_delivered(pipeline: Pipeline, tag: str) -> None:
    """Two re-saves of one file and a third file overlapping them, uploaded together: every payment
    id is delivered at most once, and whatever is refused names a file that holds its payments."""
    header, *rows = payment_csv(50, tag=tag, execution_date=pipeline.execution_date).decode().splitlines()
    base = ("\n".join([header, *rows[:40]]) + "\n").encode()  # ids 1..40
    overlap = ("\n".join([header, *rows[30:]]) + "\n").encode()  # ids 31..50
    uploads = {f"acme-payroll/race-a-{tag}.csv": base, f"acme-payroll/race-b-{tag}.csv": resaved(base),
               f"acme-payroll/race-c-{tag}.csv": overlap}
    with ThreadPoolExecutor(3) as pool:
        ids = list(pool.map(lambda item: pipeline.upload(*item), uploads.items()))
    states = {file_id: pipeline.wait_terminal(file_id, timeout=90)["state"] for file_id in ids}

    for file_id, state in states.items():
        assert_terminal_state(pipeline.store, file_id, state)
    delivered = [pid for file_id, state in states.items() if state == "delivered"
                 for pid in delivered_ids(pipeline, file_id)]
    assert len(delivered) == len(set(delivered)), f"a payment was delivered twice: {states}"
    assert sorted(states.values()).count("delivered") >= 1, states
    a, b, _ = ids
    assert {states[a], states[b]} != {"delivered"}, "both re-saves were delivered"
