"""One path per row: a verdict and its explanation agree, and remembered verdicts never change one."""

from __future__ import annotations

from datetime import date

import pytest
from domain_testkit import CREDITOR, DEBTOR, TODAY, make_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import row_checks
from shared.domain.row_checks import RowChecker

pytestmark = pytest.mark.unit

CANDIDATES = [
    ["P-1", "", "X" * 35, "X" * 36, "A_B", "/AB", "AB/", "A//B", "ab:c (1)", "Ä-1"],
    [DEBTOR, "DE89 3704 0044 0532 0130 00", "DE12500105170648489890", "DE00123", "",
     "de89370400440532013000"],
    ["ACME", "", "N" * 70, "N" * 71, "ß" * 35, "ß" * 36, "北京", "Müller & Co"],
    [CREDITOR, "DE67100700000012345679", "", "GB29NWBK60161331926819"],
    ["Jane", "", "é" * 70, "é" * 71, "tab\there", "O'Brien"],
    ["", "DEUTDEBBXXX", "deutdebb", "DEUTDEBB12", "XXXXZZ11"],
    ["100.00", "0", "0.00", "-5", "+5", "1e3", "1,00", "50000.00", "50000.01", "100.001", "100.5", "7",
     "1" * 18, "1" * 19, "007", ".5", "5."],
    ["EUR", "JPY", "KWD", "GBP", "eur", "XXX", ""],
    ["2026-11-22", "2026-11-21", "2026-12-22", "2026-12-23", "2026-02-30", "20261130", ""],
    ["", "Salary", "R" * 140, "R" * 141, "ß" * 70, "ß" * 71, "tab\t", "北京"],
]  # fmt: skip
BASE = [values[0] for values in CANDIDATES]  # the first candidate of each column is valid


@st.composite
def rows(draw: st.DrawFn) -> list[str]:
    """A valid row with up to three columns replaced: mostly near the boundary between valid and not."""
    values = list(BASE)
    for column in draw(st.lists(st.integers(0, len(CANDIDATES) - 1), max_size=3)):
        values[column] = draw(st.sampled_from(CANDIDATES[column]))
    return values


REFERENCE = make_reference()
WINDOW = (TODAY, date(2026, 12, 22))
CHECKERS = [
    RowChecker(REFERENCE.senders["acme"], "acme", *WINDOW),
    RowChecker(None, "nobody", *WINDOW),  # unknown sender: policy checks are skipped by both paths
]


@settings(max_examples=400, deadline=None)
@given(rows(), st.sampled_from(CHECKERS))
def test_a_row_is_either_a_payment_or_explained(values: list[str], checker: RowChecker) -> None:
    payment, issues = checker.check(7, values)
    assert (payment is None) == bool(issues)
    where = {issue.message.split(": ")[0] for issue in issues}
    assert where <= {f"row 7, {issue.column}" if issue.column else "row 7" for issue in issues}


@settings(max_examples=100, deadline=None)
@given(st.lists(rows(), min_size=1, max_size=8))
def test_remembered_values_never_change_a_verdict(batch: list[list[str]]) -> None:
    """A checker that has seen other rows (and remembers what passed) decides like a fresh one."""
    used = RowChecker(REFERENCE.senders["acme"], "acme", *WINDOW)
    for values in batch:
        fresh = RowChecker(REFERENCE.senders["acme"], "acme", *WINDOW)
        assert used.check(7, list(values)) == fresh.check(7, list(values))


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_checks, "_REMEMBER_AT_MOST", 1)
    checker = RowChecker(REFERENCE.senders["acme"], "acme", *WINDOW)
    for n, creditor in enumerate([CREDITOR, "GB29NWBK60161331926819", "FR1420041010050500013M02606"]):
        values = [*BASE[:3], creditor, *BASE[4:]]
        values[0] = f"P-{n}"
        payment, issues = checker.check(n + 2, values)
        assert payment is not None and not issues
    assert len(checker._iban_seen) == 1 and len(checker._name_seen) == 1
