"""The samples' dates move forward by whole weeks, and only when they would otherwise have expired."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localdev.stack.sample_dates import shift_execution_dates, weeks_to_shift

pytestmark = pytest.mark.unit

VALID_UNTIL = date(2028, 1, 13)
CSV = (
    'payment_id,amount,execution_date,remittance_info\n'
    'P-1,"1,000.00",2028-01-14,Salary 2028-01-14\n'
    'P-2,5.00,2028-02-30,a date meant to be wrong\n'
    'P-3,5.00,2019-01-01,a date meant to be in the past\n'
    'P-4,5.00\n'
)


def test_no_shift_while_the_samples_are_valid_as_written() -> None:
    assert weeks_to_shift(VALID_UNTIL, VALID_UNTIL) == 0
    assert weeks_to_shift(date(2026, 12, 1), VALID_UNTIL) == 0
    assert shift_execution_dates(CSV.encode(), 0) == CSV.encode()


@given(st.integers(min_value=1, max_value=20_000))
def test_the_shift_is_whole_weeks_and_just_enough(days_late: int) -> None:
    today = VALID_UNTIL + timedelta(days=days_late)
    weeks = weeks_to_shift(today, VALID_UNTIL)
    earliest = VALID_UNTIL + timedelta(days=1) + timedelta(weeks=weeks)
    assert earliest > today  # the first sample date is after today: inside a window that starts today
    assert earliest - timedelta(weeks=1) <= today  # and not a week more than needed


def test_only_valid_execution_dates_move_and_everything_else_is_kept() -> None:
    shifted = shift_execution_dates(CSV.encode(), 3).decode()
    rows = list(csv.reader(io.StringIO(shifted)))
    dates = [r[2] if len(r) > 2 else None for r in rows[1:]]
    assert dates == ["2028-02-04", "2028-02-30", "2019-01-22", None]
    assert rows[1][1] == "1,000.00" and rows[1][3] == "Salary 2028-01-14"  # other columns untouched
    assert date.fromisoformat(rows[1][2]).weekday() == date(2028, 1, 14).weekday()


@pytest.mark.parametrize("variant", ["crlf", "bom", "no final newline"])
def test_line_endings_bom_and_final_newline_are_kept(variant: str) -> None:
    text = CSV
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    if variant == "no final newline":
        text = text.rstrip("\n")
    data = ("\ufeff" if variant == "bom" else "").encode() + text.encode()
    shifted = shift_execution_dates(data, 1)
    assert shifted.startswith(b"\xef\xbb\xbf") == (variant == "bom")
    assert (b"\r\n" in shifted) == (variant == "crlf")
    assert shifted.endswith(b"\n") == (variant != "no final newline")
    assert shifted.count(b"2028-01-21") == 1
