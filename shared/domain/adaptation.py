"""Adaptation: validated payments -> the canonical document (grouped, normalised, with control sums).

Payments are grouped into payment-information blocks by (debtor IBAN, execution date, currency); the
blocks are ordered by that key and transactions keep file order inside a block. Names and remittance
text arrive already in the SEPA Latin set (validation converts them, once, and reports what changed).
Transactions are spilled to a temporary file as they
arrive (`GroupSpill`), so memory does not grow with the file, only with the number of groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from shared.domain.canonical import CanonicalDocument, CanonicalHeader, CreditTransfer, PaymentGroup
from shared.domain.frozen import positional_constructor
from shared.domain.ids import make_msg_id, make_pmt_inf_id
from shared.domain.payments import Payment
from shared.domain.spill import GroupSpill

GroupKey = tuple[str, date, str]
_new_credit_transfer = positional_constructor(CreditTransfer)


@dataclass(slots=True)
class _GroupTotals:
    index: int
    debtor_name: str
    nb_of_txs: int = 0
    ctrl_sum: Decimal = Decimal(0)


class Adapter:
    """Incremental `adapt`: `add()` payments as they are validated, then `finish()` once."""

    def __init__(self, *, file_id: str, sender: str, sender_name: str, creation_time: datetime) -> None:
        if creation_time.tzinfo is None:
            raise ValueError("creation_time must be time-zone aware (UTC), so that CreDtTm is unambiguous")
        self._file_id = file_id
        self._sender = sender
        self._sender_name = sender_name
        self._creation_time = creation_time.astimezone(UTC)
        self._groups: dict[GroupKey, _GroupTotals] = {}
        self._spill = GroupSpill()

    def add(self, payment: Payment) -> None:
        key = (payment.debtor_iban, payment.execution_date, payment.currency)
        totals = self._groups.get(key)
        if totals is None:
            totals = self._groups[key] = _GroupTotals(len(self._groups), payment.debtor_name)
        totals.nb_of_txs += 1
        totals.ctrl_sum += payment.amount
        self._spill.add(totals.index, (
            payment.payment_id, str(payment.amount), payment.creditor_name, payment.creditor_iban,
            payment.creditor_bic, payment.remittance_info,
        ))  # fmt: skip

    def close(self) -> None:
        """Drop the spilled transactions (a rejected file); harmless after the document is closed."""
        self._spill.close()

    def finish(self) -> CanonicalDocument:
        if not self._groups:
            raise ValueError(f"file {self._file_id} has no payments to adapt; pain.001 needs at least one")
        self._spill.close_writing()
        msg_id = make_msg_id(self._file_id)
        ordered = sorted(self._groups.items())
        groups = [
            PaymentGroup(make_pmt_inf_id(msg_id, n), key[0], totals.debtor_name, key[1], key[2],
                         totals.nb_of_txs, totals.ctrl_sum)
            for n, (key, totals) in enumerate(ordered, start=1)
        ]  # fmt: skip
        header = CanonicalHeader(
            file_id=self._file_id,
            sender=self._sender,
            sender_name=self._sender_name,
            msg_id=msg_id,
            creation_time=self._creation_time,
            nb_of_txs=sum(g.nb_of_txs for g in groups),
            ctrl_sum=sum((g.ctrl_sum for g in groups), Decimal(0)),
            groups=groups,
        )
        indexes = [totals.index for _, totals in ordered]
        spill = self._spill

        def transactions() -> Iterator[CreditTransfer]:
            new_transfer = _new_credit_transfer
            for group, index in zip(groups, indexes, strict=True):
                pmt_inf_id, currency = group.pmt_inf_id, group.currency
                for pid, amount, name, iban, bic, remittance in spill.rows(index):
                    yield new_transfer(
                        pmt_inf_id, pid, Decimal(amount), currency, name, iban, bic, remittance
                    )

        return CanonicalDocument(header, transactions, close=spill.close)


def adapt(
    payments: Iterable[Payment], *, file_id: str, sender: str, sender_name: str, creation_time: datetime
) -> CanonicalDocument:
    """Group, normalise and total `payments` into a canonical document (re-iterable until closed)."""
    adapter = Adapter(file_id=file_id, sender=sender, sender_name=sender_name, creation_time=creation_time)
    for payment in payments:
        adapter.add(payment)
    return adapter.finish()
