"""The payments fingerprint: the same payments, whatever bytes carry them, give one digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from shared.domain.fingerprint import PaymentsFingerprint
from shared.domain.payments import Payment

pytestmark = pytest.mark.unit


def payment(number: int, **changes: object) -> Payment:
    base = Payment(row=number + 1, payment_id=f"P-{number}", debtor_iban="DE89370400440532013000",
                   debtor_name="ACME", creditor_iban="NL91ABNA0417164300", creditor_name="Jan",
                   creditor_bic=None, amount=Decimal("125.50"), currency="EUR",
                   execution_date=date(2026, 11, 27), remittance_info=f"Invoice {number}")
    return replace(base, **changes)  # type: ignore[arg-type]


def digest(payments: list[Payment]) -> str:
    fingerprint = PaymentsFingerprint()
    for item in payments:
        fingerprint.add(item)
    return fingerprint.hexdigest


def test_row_order_and_row_numbers_do_not_count() -> None:
    payments = [payment(n) for n in range(1, 6)]
    moved = [replace(p, row=10 - p.row) for p in reversed(payments)]
    assert digest(payments) == digest(moved)


def test_the_same_amount_written_with_fewer_decimals_is_the_same_payment() -> None:
    assert digest([payment(1)]) == digest([payment(1, amount=Decimal("125.5"))])


@pytest.mark.parametrize("change", [
    {"payment_id": "P-9"}, {"amount": Decimal("125.51")}, {"creditor_iban": "GB29NWBK60161331926819"},
    {"execution_date": date(2026, 11, 30)}, {"remittance_info": "Invoice 1 "}, {"creditor_bic": "ABNANL2A"},
])
def test_any_other_change_is_other_payments(change: dict[str, object]) -> None:
    assert digest([payment(1), payment(2)]) != digest([payment(1, **change), payment(2)])


def test_a_payment_more_or_less_is_another_file() -> None:
    payments = [payment(n) for n in range(1, 4)]
    assert digest(payments) != digest(payments[:2])
    assert digest([]) != digest(payments[:1])
