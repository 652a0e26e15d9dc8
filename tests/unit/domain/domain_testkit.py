"""Helpers for the domain tests: a reference table, a fixed "today", CSV builders (no fakes needed)."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from shared.domain.payments import Payment
from shared.domain.reference import ReferenceTable, parse_reference_table
from shared.domain.row_checks import COLUMNS
from shared.domain.validation import ValidationResult, validate_payment_file

TODAY = date(2026, 11, 22)
HEADER = ",".join(COLUMNS)
DEBTOR = "DE89370400440532013000"
DEBTOR_2 = "DE62370400440532013001"
CREDITOR = "DE67100700000012345678"
CREDITOR_2 = "FR7630006000010001234567846"

REFERENCE: dict[str, Any] = {
    "version": 1,
    "execution_window_days": {"past": 0, "future": 30},
    "senders": {
        "acme": {
            "name": "ACME Payroll Ltd",
            "status": "active",
            "debtor_accounts": [DEBTOR, DEBTOR_2],
            "currencies": ["EUR", "JPY", "KWD"],
            "max_payment_amount": "50000.00",
            "max_file_amount": "100000.00",
            "max_rows": 5,
            "address": {"country": "DE", "town": "Berlin", "street": "Unter den Linden", "building": "1"},
        },
        "dormant": {
            "name": "Dormant SA",
            "status": "suspended",
            "debtor_accounts": ["FR1420041010050500013M02606"],
            "currencies": ["EUR"],
            "max_payment_amount": "10.00",
            "max_file_amount": "100.00",
            "max_rows": 10,
        },
    },
}


ADDRESS_HEADER = HEADER + ",creditor_country,creditor_town"


def row(**overrides: str) -> str:
    """One valid CSV line for sender `acme`, with some columns replaced. Giving `creditor_country` or
    `creditor_town` appends both columns (for ADDRESS_HEADER), as a non-SEPA payment needs them."""
    values = {
        "payment_id": "P-1",
        "debtor_iban": DEBTOR,
        "debtor_name": "ACME Payroll Ltd",
        "creditor_iban": CREDITOR,
        "creditor_name": "Jane Doe",
        "creditor_bic": "DEUTDEBBXXX",
        "amount": "100.00",
        "currency": "EUR",
        "execution_date": "2026-11-30",
        "remittance_info": "Salary",
    }
    values.update(overrides)
    address = ("creditor_country", "creditor_town")
    names = COLUMNS + address if any(name in overrides for name in address) else COLUMNS
    values.setdefault("creditor_country", "DE")
    values.setdefault("creditor_town", "Berlin")
    return ",".join(values[name] for name in names)


def csv_file(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def make_reference(**sender_overrides: Any) -> ReferenceTable:
    """The test table, with some of sender `acme`'s fields replaced."""
    document = json.loads(json.dumps(REFERENCE))
    document["senders"]["acme"].update(sender_overrides)
    return parse_reference_table(json.dumps(document))


def run_validation(
    data: bytes, reference: ReferenceTable, *, sender: str = "acme", max_bytes: int | None = None
) -> tuple[ValidationResult, list[Payment]]:
    payments: list[Payment] = []
    extra = {} if max_bytes is None else {"max_bytes": max_bytes}
    result = validate_payment_file(
        io.BytesIO(data), sender=sender, reference=reference, today=TODAY, on_payment=payments.append, **extra
    )
    return result, payments


def codes_at(result: ValidationResult) -> list[tuple[int | None, str | None, str]]:
    return [(issue.row, issue.column, issue.code) for issue in result.issues]


def payment(n: int, **overrides: Any) -> Payment:
    """A validated payment for adaptation tests (row n + 1, id P-n)."""
    from decimal import Decimal

    values: dict[str, Any] = {
        "row": n + 1,
        "payment_id": f"P-{n}",
        "debtor_iban": DEBTOR,
        "debtor_name": "ACME Payroll Ltd",
        "creditor_iban": CREDITOR,
        "creditor_name": "Jane Doe",
        "creditor_bic": None,
        "amount": Decimal("10.00"),
        "currency": "EUR",
        "execution_date": date(2026, 11, 30),
        "remittance_info": "Salary",
    }
    values.update(overrides)
    return Payment(**values)
