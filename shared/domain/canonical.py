"""The canonical intermediate document: the grouped, normalised payments FileAdaptor hands on.

A header (ids, creation time, overall and per-group NbOfTxs/CtrlSum) and the credit transfers, grouped
in header order. Its record form is one header record then one record per transaction, which is what
travels inline in a message or as NDJSON in a claim-check blob. Reading records back checks them
lazily, so a document of a million transactions is never held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.domain.addresses import Address
from shared.domain.ndjson import NdjsonError, read_ndjson, write_ndjson

__all__ = [
    "CanonicalDocument",
    "CanonicalDocumentError",
    "CanonicalHeader",
    "CreditTransfer",
    "NdjsonError",
    "PaymentGroup",
    "document_from_records",
    "document_records",
    "read_ndjson",
    "transaction_record",
    "write_ndjson",
]


class CanonicalDocumentError(ValueError):
    """Canonical records are malformed or inconsistent (counts, sums, grouping)."""


@dataclass(frozen=True, slots=True)
class PaymentGroup:
    """One payment-information block: a debtor account, an execution date, a currency and a scheme.

    `service_level` is `SEPA` for a block of SEPA credit transfers (then `charge_bearer` is `SLEV`),
    None otherwise; `debtor_name` is the account holder's registered name."""

    pmt_inf_id: str
    debtor_iban: str
    debtor_name: str
    execution_date: date
    currency: str
    nb_of_txs: int
    ctrl_sum: Decimal
    service_level: str | None = None
    charge_bearer: str | None = None
    category_purpose: str | None = None
    debtor_address: Address | None = None


@dataclass(frozen=True, slots=True)
class CanonicalHeader:
    """Everything GrpHdr needs, plus the blocks in output order."""

    file_id: str
    sender: str
    sender_name: str
    msg_id: str
    creation_time: datetime
    nb_of_txs: int
    ctrl_sum: Decimal
    groups: list[PaymentGroup]


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    """One transaction, already normalised to the pain.001 character set."""

    pmt_inf_id: str
    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_name: str
    creditor_iban: str
    creditor_bic: str | None
    remittance_info: str
    ultimate_debtor: str | None = None  # the name the file gave, when it is not the account holder's
    creditor_address: Address | None = None


class CanonicalDocument:
    """A header plus a source of its transactions (all of group 1, then group 2, ...).

    `records`, when given, yields the same transactions already in their record form (what the adaptor
    hands on), so that a document read from a spill is not turned into objects only to become records."""

    def __init__(
        self,
        header: CanonicalHeader,
        transactions: Callable[[], Iterator[CreditTransfer]],
        close: Callable[[], None] | None = None,
        records: Callable[[], Iterator[dict[str, Any]]] | None = None,
    ) -> None:
        self.header = header
        self._transactions = transactions
        self._close = close
        self._records = records

    def iter_transactions(self) -> Iterator[CreditTransfer]:
        return self._transactions()

    def iter_transaction_records(self) -> Iterator[dict[str, Any]]:
        if self._records is not None:
            return self._records()
        return (transaction_record(tx.pmt_inf_id, tx.end_to_end_id, str(tx.amount), tx.currency,
                                   tx.creditor_name, tx.creditor_iban, tx.creditor_bic, tx.remittance_info,
                                   tx.ultimate_debtor, _address_record(tx.creditor_address))
                for tx in self._transactions())  # fmt: skip

    def close(self) -> None:
        """Release the temporary spill file, if any (also released when garbage-collected)."""
        if self._close is not None:
            self._close()

    def __enter__(self) -> CanonicalDocument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def document_records(doc: CanonicalDocument) -> Iterator[dict[str, Any]]:
    """The record form: `{"record": "header", ...}` first, then one `{"record": "transaction", ...}` each."""
    yield _header_record(doc.header)
    yield from doc.iter_transaction_records()


def transaction_record(  # noqa: PLR0917 - called once per transaction, in field order
    pmt_inf_id: str, end_to_end_id: str, amount: str, currency: str, creditor_name: str, creditor_iban: str,
    creditor_bic: str | None, remittance_info: str, ultimate_debtor: str | None,
    creditor_address: dict[str, str] | None,
) -> dict[str, Any]:
    """One transaction's record (the amount as its exact decimal string): the one place its layout is."""
    return {
        "record": "transaction",
        "pmt_inf_id": pmt_inf_id,
        "end_to_end_id": end_to_end_id,
        "amount": amount,
        "currency": currency,
        "creditor_name": creditor_name,
        "creditor_iban": creditor_iban,
        "creditor_bic": creditor_bic,
        "remittance_info": remittance_info,
        "ultimate_debtor": ultimate_debtor,
        "creditor_address": creditor_address,
    }  # fmt: skip


def _header_record(header: CanonicalHeader) -> dict[str, Any]:
    return {
        "record": "header",
        "file_id": header.file_id,
        "sender": header.sender,
        "sender_name": header.sender_name,
        "msg_id": header.msg_id,
        "creation_time": header.creation_time.astimezone(UTC).isoformat(),
        "nb_of_txs": header.nb_of_txs,
        "ctrl_sum": str(header.ctrl_sum),
        "groups": [
            {
                "pmt_inf_id": g.pmt_inf_id,
                "debtor_iban": g.debtor_iban,
                "debtor_name": g.debtor_name,
                "execution_date": g.execution_date.isoformat(),
                "currency": g.currency,
                "nb_of_txs": g.nb_of_txs,
                "ctrl_sum": str(g.ctrl_sum),
                "service_level": g.service_level,
                "charge_bearer": g.charge_bearer,
                "category_purpose": g.category_purpose,
                "debtor_address": _address_record(g.debtor_address),
            }
            for g in header.groups
        ],
    }


def _address_record(address: Address | None) -> dict[str, str] | None:
    return None if address is None else address.to_record()


def document_from_records(records: Iterable[dict[str, Any]]) -> CanonicalDocument:
    """Read the header now and the transactions lazily, checking grouping, counts and sums as they pass.

    The returned document can be iterated once (the records may be a one-shot stream).
    """
    # Imported here because the reader module needs this module's classes (no import cycle at load).
    from shared.domain.canonical_reader import checked_transactions, parse_header

    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        raise CanonicalDocumentError("canonical document is empty: expected a header record first")
    header = parse_header(first)
    consumed = False

    def transactions() -> Iterator[CreditTransfer]:
        nonlocal consumed
        if consumed:
            raise CanonicalDocumentError("this canonical document's transactions were already read once")
        consumed = True
        return checked_transactions(header, iterator)

    return CanonicalDocument(header, transactions)
