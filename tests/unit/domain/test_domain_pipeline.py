"""The offline pipeline and the samples: the same code path as the functions, end to end, no Azure."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from domain_testkit import ADDRESS_HEADER, TODAY, csv_file, row

from localdev.stack.samples import load_samples
from shared.domain.ids import make_file_id
from shared.domain.pain001 import validate_pain001
from shared.domain.pipeline import run_offline
from shared.domain.reference import ReferenceTable, parse_reference_table

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
CREATED = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _run(data: bytes, reference: ReferenceTable, blob_path: str = "acme/f.csv",
         today: date = TODAY) -> tuple[bool, bytes]:  # fmt: skip
    out = io.BytesIO()
    result = run_offline(io.BytesIO(data), blob_path=blob_path, file_id=make_file_id(blob_path, "v1"),
                         reference=reference, today=today, creation_time=CREATED, out=out)  # fmt: skip
    return result.valid, out.getvalue()


def test_valid_file_produces_schema_valid_pain001(reference: ReferenceTable) -> None:
    jpy = row(payment_id="P-2", currency="JPY", amount="5000", creditor_country="DE")  # not SEPA: an address
    valid, xml = _run(csv_file(row(creditor_country="DE"), jpy, header=ADDRESS_HEADER), reference)
    assert valid
    validate_pain001(xml)
    assert b"<NbOfTxs>2</NbOfTxs>" in xml


def test_rejected_file_writes_nothing(reference: ReferenceTable) -> None:
    valid, xml = _run(csv_file(row(), row(amount="-1")), reference)
    assert not valid and xml == b""


def test_sender_comes_from_the_blob_path(reference: ReferenceTable) -> None:
    valid, xml = _run(csv_file(row()), reference, blob_path="nobody/f.csv")
    assert not valid and xml == b""


def _expected() -> list[tuple[str, str]]:
    table = json.loads((SAMPLES / "expected.json").read_text())
    return [(name, state) for name, state in table.items() if not name.startswith("_")]


@pytest.mark.parametrize("name, state", _expected())
def test_samples_reach_their_expected_state(name: str, state: str) -> None:
    reference = parse_reference_table((SAMPLES / "reference-table.json").read_bytes())
    valid, xml = _run((SAMPLES / "incoming" / name).read_bytes(), reference, blob_path=name)
    assert valid == (state == "delivered")
    if valid:
        validate_pain001(xml)


_VALID_UNTIL = date.fromisoformat(json.loads((SAMPLES / "expected.json").read_text())["_dates_valid_until"])


@pytest.mark.parametrize("today", [_VALID_UNTIL, _VALID_UNTIL + timedelta(days=1),
                                   _VALID_UNTIL + timedelta(days=1000), date(2061, 3, 1)])  # fmt: skip
def test_samples_keep_their_states_on_any_later_day_as_the_stack_drops_them(today: date) -> None:
    """What `make run ONCE=1` drops on `today`: the samples with their dates moved as the stack moves them.
    `_dates_valid_until` itself is checked too: on that day the samples must pass unshifted."""
    reference = parse_reference_table((SAMPLES / "reference-table.json").read_bytes())
    sample_set = load_samples(today, SAMPLES)
    assert (sample_set.weeks_shifted == 0) == (today <= _VALID_UNTIL)
    for sample in sample_set.samples:
        valid, _ = _run(sample.content, reference, blob_path=sample.blob_name, today=today)
        assert valid == (sample.expected == "delivered"), f"{sample.blob_name} on {today}"


def test_large_sample_needs_the_claim_check() -> None:
    size = (SAMPLES / "incoming" / "acme-payroll" / "2028-01-14-large-2000.csv").stat().st_size
    assert size > 192 * 1024
