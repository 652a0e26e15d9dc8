"""Adaptation: grouping, ordering, control sums, normalisation and the spill that bounds memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from domain_testkit import DEBTOR, DEBTOR_2, csv_file, make_reference, payment, row, run_validation

from shared.domain.adaptation import adapt
from shared.domain.canonical import CanonicalDocument
from shared.domain.ids import make_msg_id
from shared.domain.spill import GroupSpill

pytestmark = pytest.mark.unit

CREATED = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
LATER = date(2026, 12, 1)


def _adapt(payments: list) -> CanonicalDocument:  # type: ignore[type-arg]
    return adapt(
        payments, file_id="acme.f.0011aa22", sender="acme", sender_name="ACME", creation_time=CREATED
    )


def test_groups_by_debtor_date_and_currency_in_key_order() -> None:
    payments = [
        payment(1, debtor_iban=DEBTOR_2),
        payment(2, execution_date=LATER),
        payment(3, currency="JPY", amount=Decimal("500")),
        payment(4),
        payment(5, debtor_iban=DEBTOR_2, amount=Decimal("0.05")),
        payment(6),
    ]
    doc = _adapt(payments)
    keys = [(g.debtor_iban, g.execution_date, g.currency) for g in doc.header.groups]
    assert keys == sorted(keys)
    assert keys == [
        (DEBTOR_2, date(2026, 11, 30), "EUR"),
        (DEBTOR, date(2026, 11, 30), "EUR"),
        (DEBTOR, date(2026, 11, 30), "JPY"),
        (DEBTOR, LATER, "EUR"),
    ]
    by_group = [[tx.end_to_end_id for tx in doc.iter_transactions() if tx.pmt_inf_id == g.pmt_inf_id]
                for g in doc.header.groups]  # fmt: skip
    assert by_group == [["P-1", "P-5"], ["P-4", "P-6"], ["P-3"], ["P-2"]]
    # Transactions come group by group, in header order.
    assert [tx.end_to_end_id for tx in doc.iter_transactions()] == ["P-1", "P-5", "P-4", "P-6", "P-3", "P-2"]


def test_control_sums_and_counts() -> None:
    payments = [payment(1, amount=Decimal("0.10")), payment(2, amount=Decimal("0.20")),
                payment(3, currency="JPY", amount=Decimal("7"))]  # fmt: skip
    doc = _adapt(payments)
    header = doc.header
    assert [(g.nb_of_txs, g.ctrl_sum) for g in header.groups] == [(2, Decimal("0.30")), (1, Decimal("7"))]
    assert header.nb_of_txs == 3 and header.ctrl_sum == Decimal("7.30")
    assert isinstance(header.ctrl_sum, Decimal)
    assert sum(tx.amount for tx in doc.iter_transactions()) == Decimal("7.30")


def test_ids_are_deterministic() -> None:
    doc = _adapt([payment(1), payment(2, execution_date=LATER)])
    assert doc.header.msg_id == make_msg_id("acme.f.0011aa22")
    assert [g.pmt_inf_id for g in doc.header.groups] == [f"{doc.header.msg_id}-G1", f"{doc.header.msg_id}-G2"]
    assert [tx.end_to_end_id for tx in doc.iter_transactions()] == ["P-1", "P-2"]


def test_names_and_remittance_reach_the_document_in_the_sepa_form_validation_gave_them() -> None:
    data = csv_file(row(debtor_name="ACME Payroll Ltd", creditor_name="Łukasz Nowak",
                        remittance_info="Lohn März + Bonus"))  # fmt: skip
    result, payments = run_validation(data, make_reference())
    assert result.valid, result.issues
    doc = _adapt(payments)
    tx = next(doc.iter_transactions())
    assert (tx.creditor_name, tx.remittance_info, tx.creditor_bic) == (
        "Lukasz Nowak",
        "Lohn Marz + Bonus",
        "DEUTDEBBXXX",
    )


def test_creation_time_is_kept_in_utc() -> None:
    cet = timezone(timedelta(hours=1))
    doc = adapt([payment(1)], file_id="f", sender="s", sender_name="S",
                creation_time=datetime(2026, 11, 22, 9, 30, tzinfo=cet))  # fmt: skip
    assert doc.header.creation_time == CREATED and doc.header.creation_time.tzinfo == UTC


def test_document_can_be_iterated_again() -> None:
    doc = _adapt([payment(n) for n in range(5)])
    assert list(doc.iter_transactions()) == list(doc.iter_transactions())


def test_naive_creation_time_and_no_payments_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        adapt([payment(1)], file_id="f", sender="s", sender_name="S", creation_time=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="no payments"):
        _adapt([])


def test_spill_keeps_arrival_order_within_groups_across_chunks() -> None:
    spill = GroupSpill(chunk=3)
    arrivals = [(n % 3, (f"p{n}", n)) for n in range(20)]
    for group, item in arrivals:
        spill.add(group, item)
    spill.close_writing()
    for group in range(3):
        assert list(spill.rows(group)) == [item for g, item in arrivals if g == group]
    assert list(spill.rows(99)) == []
    spill.close()
