"""Adaptation: validated payments -> the canonical document (grouped, normalised, with control sums).

Payments are grouped into payment-information blocks by (debtor IBAN, execution date, currency, SEPA
or not): SEPA credit transfers carry service level SEPA and charge bearer SLEV, the others the sender's
charge bearer. The blocks are ordered by that key and transactions keep file order inside a block.
The debtor is the account holder the reference table registers; a row's differing `debtor_name`
becomes the transaction's ultimate debtor. Names and remittance text arrive already in the SEPA Latin
set (validation converts them, once, and reports what changed). Transactions are spilled to a
temporary file as they arrive (`GroupSpill`), so memory does not grow with the file, only with the
number of groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.domain.addresses import Address
from shared.domain.canonical import (
    CanonicalDocument,
    CanonicalHeader,
    CreditTransfer,
    PaymentGroup,
    transaction_record,
)
from shared.domain.charset import to_sepa_latin
from shared.domain.frozen import positional_constructor
from shared.domain.ids import make_msg_id, make_pmt_inf_id
from shared.domain.parties import is_sepa
from shared.domain.payments import Payment
from shared.domain.reference import SenderPolicy
from shared.domain.spill import GroupSpill, Row

GroupKey = tuple[str, date, str, bool]
_new_credit_transfer = positional_constructor(CreditTransfer)
MAX_DEBTOR_NAME = 70  # SEPA Nm


@dataclass(frozen=True, slots=True)
class Debtor:
    """The account holder as the reference table registers it (the adaptor itself never reads the table)."""

    name: str
    address: Address | None = None
    charge_bearer: str = "SHAR"  # for payments that are not SEPA credit transfers
    category_purpose: str | None = None


@dataclass(slots=True)
class _GroupTotals:
    index: int
    nb_of_txs: int = 0
    ctrl_sum: Decimal = Decimal(0)


class Adapter:
    """Incremental `adapt`: `add()` payments as they are validated, then `finish()` once."""

    def __init__(
        self,
        *,
        file_id: str,
        sender: str,
        sender_name: str,
        creation_time: datetime,
        debtor: Debtor | None = None,
    ) -> None:
        if creation_time.tzinfo is None:
            raise ValueError("creation_time must be time-zone aware (UTC), so that CreDtTm is unambiguous")
        self._file_id = file_id
        self._sender = sender
        self._sender_name = sender_name
        debtor = debtor or Debtor(sender_name)
        # The registered name may be written in any script; pain.001 carries its SEPA Latin form.
        self._debtor = Debtor(to_sepa_latin(debtor.name)[0][:MAX_DEBTOR_NAME] or sender, *_rest(debtor))
        self._holder_name = self._debtor.name
        self._holder = self._holder_name.casefold()
        self._creation_time = creation_time.astimezone(UTC)
        self._groups: dict[GroupKey, _GroupTotals] = {}
        self._spill = GroupSpill()

    def add(self, payment: Payment) -> None:
        sepa = is_sepa(payment.currency, payment.debtor_iban, payment.creditor_iban)
        key = (payment.debtor_iban, payment.execution_date, payment.currency, sepa)
        totals = self._groups.get(key)
        if totals is None:
            totals = self._groups[key] = _GroupTotals(len(self._groups))
        totals.nb_of_txs += 1
        totals.ctrl_sum += payment.amount
        name = payment.debtor_name
        address = payment.creditor_address
        self._spill.add(totals.index, (
            payment.payment_id, str(payment.amount), payment.creditor_name, payment.creditor_iban,
            payment.creditor_bic, payment.remittance_info,
            None if name == self._holder_name or name.casefold() == self._holder else name,
            None if address is None else (address.country, address.town, address.postcode, address.street,
                                          address.building),
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
        debtor = self._debtor
        groups = [
            PaymentGroup(make_pmt_inf_id(msg_id, n), iban, debtor.name, when, currency, totals.nb_of_txs,
                         totals.ctrl_sum, "SEPA" if sepa else None, "SLEV" if sepa else debtor.charge_bearer,
                         debtor.category_purpose, debtor.address)
            for n, ((iban, when, currency, sepa), totals) in enumerate(ordered, start=1)
        ]  # fmt: skip
        header = CanonicalHeader(
            file_id=self._file_id,
            sender=self._sender,
            sender_name=to_sepa_latin(self._sender_name)[0][:MAX_DEBTOR_NAME] or self._sender,  # InitgPty/Nm
            msg_id=msg_id,
            creation_time=self._creation_time,
            nb_of_txs=sum(g.nb_of_txs for g in groups),
            ctrl_sum=sum((g.ctrl_sum for g in groups), Decimal(0)),
            groups=groups,
        )
        indexes = [totals.index for _, totals in ordered]
        spill = self._spill

        def spilled() -> Iterator[tuple[str, str, Row]]:
            # Each transaction's block id, currency and spilled row, in header order (file order within).
            for group, index in zip(groups, indexes, strict=True):
                pmt_inf_id, currency = group.pmt_inf_id, group.currency
                for row in spill.rows(index):
                    yield pmt_inf_id, currency, row

        def transactions() -> Iterator[CreditTransfer]:
            new_transfer = _new_credit_transfer
            for pmt_inf_id, currency, (pid, amount, name, iban, bic, remittance, ultimate, address) in (
                spilled()
            ):
                yield new_transfer(pmt_inf_id, pid, Decimal(amount), currency, name, iban, bic, remittance,
                                   ultimate, address and Address(*address))  # fmt: skip

        def records() -> Iterator[dict[str, Any]]:
            # The same transactions in their record form: the adaptor hands records on, so no
            # CreditTransfer (nor Decimal) is made only to be taken apart again.
            for pmt_inf_id, currency, (pid, amount, name, iban, bic, remittance, ultimate, address) in (
                spilled()
            ):
                yield transaction_record(pmt_inf_id, pid, amount, currency, name, iban, bic, remittance,
                                         ultimate, address and Address(*address).to_record())  # fmt: skip

        return CanonicalDocument(header, transactions, close=spill.close, records=records)


def registered_debtor(policy: SenderPolicy) -> Debtor:
    """The account holder of a sender's accounts, in the SEPA Latin form pain.001 carries."""
    address = policy.address  # its text is already SEPA Latin within pain.001's limits (reference.py)
    return Debtor(
        policy.name,
        None if address is None else Address(address.country, address.town, address.postcode or "",
                                             address.street or "", address.building or ""),
        policy.charge_bearer,
        policy.category_purpose,
    )  # fmt: skip


def _rest(debtor: Debtor) -> tuple[Address | None, str, str | None]:
    return debtor.address, debtor.charge_bearer, debtor.category_purpose


def adapt(
    payments: Iterable[Payment],
    *,
    file_id: str,
    sender: str,
    sender_name: str,
    creation_time: datetime,
    debtor: Debtor | None = None,
) -> CanonicalDocument:
    """Group, normalise and total `payments` into a canonical document (re-iterable until closed)."""
    adapter = Adapter(file_id=file_id, sender=sender, sender_name=sender_name, creation_time=creation_time,
                      debtor=debtor)  # fmt: skip
    for payment in payments:
        adapter.add(payment)
    return adapter.finish()
