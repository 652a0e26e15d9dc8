"""Whatever bytes arrive, validation returns a report: no exception ever escapes to the caller."""

from __future__ import annotations

import io

import pytest
from domain_testkit import TODAY, csv_file, make_reference, row
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.validation import validate_payment_file

pytestmark = pytest.mark.unit

REFERENCE = make_reference()
VALID = csv_file(row(), row(payment_id="P-2", creditor_bic="", remittance_info='"a, b"'))


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A valid file with a few bytes replaced, inserted or deleted (quotes, commas, newlines, junk)."""
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.sampled_from([b'"', b",", b"\n", b"\r", b"\xff", b"\xc3", b"\x00", b"", b"9", b" "]))
        cut = draw(st.integers(0, 3))
        data[at : at + cut] = piece
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.one_of(damaged(), st.binary(max_size=400)))
def test_any_input_gives_a_result(data: bytes) -> None:
    payments: list[object] = []
    result = validate_payment_file(io.BytesIO(data), sender="acme", reference=REFERENCE, today=TODAY,
                                   on_payment=payments.append)  # fmt: skip
    assert result.valid == (result.issue_count == 0)
    assert len(result.issues) <= result.issue_count
    for issue in result.issues:
        assert issue.code and issue.message
        assert issue.row is None or 1 <= issue.row <= data.count(b"\n") + 1
    if result.valid:
        assert len(payments) == result.row_count
