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


def test_a_version_1_document_gets_the_documented_defaults() -> None:
    policy = parse_reference_table(DESIGN_EXAMPLE).senders["acme-payroll"]
    assert policy.currency_limits == {} and policy.address is None and policy.category_purpose is None
    assert (policy.charge_bearer, policy.non_business_day) == ("SHAR", "next")
    assert policy.payment_limit("EUR") == Decimal("50000.00") == policy.payment_limit("JPY")


NEW_FIELDS = {
    "currency_limits": {"JPY": {"max_payment_amount": "8000000"}},
    "address": {"country": "DE", "town": "Berlin", "postcode": "10115", "street": "Invalidenstrasse",
                "building": "1"},
    "charge_bearer": "DEBT", "category_purpose": "SALA", "non_business_day": "reject",
}  # fmt: skip


def test_the_new_fields_parse() -> None:
    document = json.loads(json.dumps(REFERENCE))
    document["senders"]["acme"].update(NEW_FIELDS)
    policy = parse_reference_table(json.dumps(document)).senders["acme"]
    assert policy.payment_limit("JPY") == Decimal("8000000") and policy.file_limit("JPY") == Decimal(
        "100000.00"
    )
    assert policy.address is not None and policy.address.town == "Berlin"
    assert (policy.charge_bearer, policy.category_purpose, policy.non_business_day) == (
        "DEBT",
        "SALA",
        "reject",
    )


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("currency_limits", {"JPY": {"max_payment": "1"}}, "currency_limits.JPY.max_payment"),
        ("currency_limits", {"XYZ": {"max_payment_amount": "1"}}, "'XYZ' is not an ISO 4217"),
        ("address", {"country": "DE", "town": "Berlin", "zip": "1"}, "address.zip"),
        ("address", {"country": "Germany", "town": "Berlin"}, "address.country"),
        ("charge_bearer", "SLEV", "charge_bearer"),
        ("category_purpose", "salary", "category_purpose"),
        ("non_business_day", "skip", "non_business_day"),
    ],
)
def test_the_new_fields_refuse_mistakes(field: str, value: Any, expected: str) -> None:
    with pytest.raises(ReferenceTableError, match=expected):
        parse_reference_table(_broken(["senders", "acme", field], value))


def test_an_address_is_kept_in_the_form_pain001_carries_and_must_fit_it() -> None:
    document = json.loads(json.dumps(REFERENCE))
    document["senders"]["acme"]["address"] = {"country": "CH", "town": "Zürich"}
    address = parse_reference_table(json.dumps(document)).senders["acme"].address
    assert address is not None and address.town == "Zurich"
    document["senders"]["acme"]["address"] = {"country": "DE", "town": "ß" * 20}  # 40 once converted
    with pytest.raises(ReferenceTableError, match=r"address\.town: is 40 characters"):
        parse_reference_table(json.dumps(document))
