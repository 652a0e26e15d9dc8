"""The reference table: DESIGN.md's exact shape parses; mistakes are named by field path."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from domain_testkit import REFERENCE

from shared.domain.reference import ReferenceTableError, parse_reference_table

pytestmark = pytest.mark.unit

DESIGN_EXAMPLE = """{"version": 1,
 "execution_window_days": {"past": 0, "future": 365},
 "senders": {
   "acme-payroll": {"name": "ACME Payroll Ltd", "status": "active",
                    "debtor_accounts": ["DE89370400440532013000"], "currencies": ["EUR"],
                    "max_payment_amount": "50000.00", "max_file_amount": "1000000.00", "max_rows": 100000}}}"""  # noqa: E501 (verbatim from DESIGN.md)


def test_design_example_parses_with_exact_decimals() -> None:
    table = parse_reference_table(DESIGN_EXAMPLE)
    policy = table.senders["acme-payroll"]
    assert policy.max_payment_amount == Decimal("50000.00")
    assert isinstance(policy.max_file_amount, Decimal)
    assert table.execution_window_days.future == 365


def test_the_repo_default_table_parses() -> None:
    path = Path(__file__).resolve().parents[3] / "samples" / "reference-table.json"
    table = parse_reference_table(path.read_bytes())
    assert {p.status for p in table.senders.values()} == {"active", "suspended"}
    assert {c for p in table.senders.values() for c in p.currencies} >= {"EUR", "CHF", "GBP", "JPY"}


def _broken(path: list[str], value: Any) -> str:
    document = json.loads(json.dumps(REFERENCE))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (["version"], 2, "version: Input should be 1"),
        (["execution_window_days", "past"], -1, "execution_window_days.past"),
        (["senders", "acme", "status"], "paused", "senders.acme.status"),
        (
            ["senders", "acme", "max_payment_amount"],
            50000.0,
            "senders.acme.max_payment_amount: must be a decimal string",
        ),
        (
            ["senders", "acme", "max_file_amount"],
            "lots",
            "senders.acme.max_file_amount: is not a decimal number",
        ),
        (["senders", "acme", "max_rows"], 0, "senders.acme.max_rows"),
        (["senders", "acme", "debtor_accounts"], ["DE89370400440532013001"], "not a valid IBAN"),
        (["senders", "acme", "currencies"], ["XXY"], "senders.acme.currencies: 'XXY' is not an ISO 4217"),
        (["senders", "acme", "max_row"], 10, "senders.acme.max_row: Extra inputs are not permitted"),
    ],
)
def test_errors_name_the_field_path(path: list[str], value: Any, expected: str) -> None:
    with pytest.raises(ReferenceTableError) as caught:
        parse_reference_table(_broken(path, value))
    assert expected in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_not_json() -> None:
    with pytest.raises(ReferenceTableError, match="not valid JSON"):
        parse_reference_table(b"{nope")
