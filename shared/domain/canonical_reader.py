"""Reading canonical records back: strict parsing of the header and lazy, checked transactions.

Records arrive from a message or a staged blob written by another process, so nothing is trusted:
every field is type-checked and the transactions must match the header's groups, counts and sums.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.domain.addresses import Address
from shared.domain.canonical import (
    CanonicalDocumentError,
    CanonicalHeader,
    CreditTransfer,
    PaymentGroup,
)
from shared.domain.frozen import positional_constructor
from shared.domain.payments import PaymentRecordError, parse_record_amount, parse_record_date


def _field(record: dict[str, Any], name: str, kind: type, where: str) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CanonicalDocumentError(f"{where}: field {name!r} must be {kind.__name__}, got {value!r}")
    return value


def _optional(record: dict[str, Any], name: str, where: str) -> str | None:
    """A field added after version 1 of the records: absent or null means "none"."""
    value = record.get(name)
    if value is not None and not isinstance(value, str):
        raise CanonicalDocumentError(f"{where}: field {name!r} must be a string or null, got {value!r}")
    return value or None


def _address(record: dict[str, Any], name: str, where: str) -> Address | None:
    try:
        return Address.from_record(record.get(name))
    except ValueError as exc:
        raise CanonicalDocumentError(f"{where}: field {name!r}: {exc}") from None


def _amount(record: dict[str, Any], name: str, where: str) -> Decimal:
    try:
        return parse_record_amount(record, name)
    except PaymentRecordError as exc:
        raise CanonicalDocumentError(f"{where}: {exc}") from None


def parse_header(record: Any) -> CanonicalHeader:
    """The first record must be `{"record": "header", ...}` with consistent group totals."""
    if not isinstance(record, dict) or record.get("record") != "header":
        raise CanonicalDocumentError('canonical record 1 must be the header ({"record": "header", ...})')
    where = "canonical header"
    raw_time = _field(record, "creation_time", str, where)
    try:
        creation_time = datetime.fromisoformat(raw_time)
    except ValueError:
        raise CanonicalDocumentError(f"{where}: creation_time {raw_time!r} is not ISO 8601") from None
    if creation_time.tzinfo is None:
        raise CanonicalDocumentError(f"{where}: creation_time {raw_time!r} must carry a time zone")
    groups = [_group(raw, n) for n, raw in enumerate(_field(record, "groups", list, where), start=1)]
    header = CanonicalHeader(
        file_id=_field(record, "file_id", str, where),
        sender=_field(record, "sender", str, where),
        sender_name=_field(record, "sender_name", str, where),
        msg_id=_field(record, "msg_id", str, where),
        creation_time=creation_time,
        nb_of_txs=_field(record, "nb_of_txs", int, where),
        ctrl_sum=_amount(record, "ctrl_sum", where),
        groups=groups,
    )
    if header.nb_of_txs != sum(g.nb_of_txs for g in groups):
        raise CanonicalDocumentError(f"{where}: nb_of_txs {header.nb_of_txs} != the sum of its groups")
    if header.ctrl_sum != sum((g.ctrl_sum for g in groups), Decimal(0)):
        raise CanonicalDocumentError(f"{where}: ctrl_sum {header.ctrl_sum} != the sum of its groups")
    return header


def _group(raw: Any, number: int) -> PaymentGroup:
    where = f"canonical header group {number}"
    if not isinstance(raw, dict):
        raise CanonicalDocumentError(f"{where} must be an object")
    try:
        execution_date = parse_record_date(raw, "execution_date")
    except PaymentRecordError as exc:
        raise CanonicalDocumentError(f"{where}: {exc}") from None
    group = PaymentGroup(
        pmt_inf_id=_field(raw, "pmt_inf_id", str, where),
        debtor_iban=_field(raw, "debtor_iban", str, where),
        debtor_name=_field(raw, "debtor_name", str, where),
        execution_date=execution_date,
        currency=_field(raw, "currency", str, where),
        nb_of_txs=_field(raw, "nb_of_txs", int, where),
        ctrl_sum=_amount(raw, "ctrl_sum", where),
        service_level=_optional(raw, "service_level", where),
        charge_bearer=_optional(raw, "charge_bearer", where),
        category_purpose=_optional(raw, "category_purpose", where),
        debtor_address=_address(raw, "debtor_address", where),
    )
    if group.nb_of_txs < 1:
        raise CanonicalDocumentError(f"{where}: nb_of_txs must be at least 1, got {group.nb_of_txs}")
    return group


_TX_STRINGS = ("pmt_inf_id", "end_to_end_id", "currency", "creditor_name", "creditor_iban", "remittance_info")
_ONLY_STR = {str}
_new_transfer = positional_constructor(CreditTransfer)  # every transaction of a file: fields in order


def _transaction(record: Any, number: int) -> CreditTransfer:
    """The usual record (plain strings, a well-formed amount and address) is checked in one pass; any
    other is checked again field by field, so the error names the first bad field."""
    if type(record) is dict and record.get("record") == "transaction":
        get: Callable[[str], Any] = record.get  # values are checked below, not by their static type
        strings, bic, ultimate = tuple(map(get, _TX_STRINGS)), get("creditor_bic"), get("ultimate_debtor")
        if set(map(type, strings)) == _ONLY_STR and (bic is None or type(bic) is str) and (
            ultimate is None or type(ultimate) is str
        ):
            try:
                amount = parse_record_amount(record, "amount")
                address = Address.from_record(get("creditor_address"))
            except ValueError:
                return _checked_transaction(record, number)
            pmt_inf_id, end_to_end_id, currency, creditor_name, creditor_iban, remittance_info = strings
            return _new_transfer(pmt_inf_id, end_to_end_id, amount, currency, creditor_name, creditor_iban,
                                 bic or None, remittance_info, ultimate or None, address)  # fmt: skip
    return _checked_transaction(record, number)


def _checked_transaction(record: Any, number: int) -> CreditTransfer:
    where = f"canonical record {number}"
    if not isinstance(record, dict) or record.get("record") != "transaction":
        raise CanonicalDocumentError(f"{where} must be a transaction record ({{'record': 'transaction'}})")
    bic = record.get("creditor_bic")
    if bic is not None and not isinstance(bic, str):
        raise CanonicalDocumentError(f"{where}: field 'creditor_bic' must be a string or null, got {bic!r}")
    return CreditTransfer(
        pmt_inf_id=_field(record, "pmt_inf_id", str, where),
        end_to_end_id=_field(record, "end_to_end_id", str, where),
        amount=_amount(record, "amount", where),
        currency=_field(record, "currency", str, where),
        creditor_name=_field(record, "creditor_name", str, where),
        creditor_iban=_field(record, "creditor_iban", str, where),
        creditor_bic=bic or None,
        remittance_info=_field(record, "remittance_info", str, where),
        ultimate_debtor=_optional(record, "ultimate_debtor", where),
        creditor_address=_address(record, "creditor_address", where),
    )


def checked_transactions(header: CanonicalHeader, records: Iterator[Any]) -> Iterator[CreditTransfer]:
    """Yield the transactions, raising as soon as one breaks the header's grouping, counts or sums."""
    number = 1
    for group in header.groups:
        total = Decimal(0)
        for _ in range(group.nb_of_txs):
            number += 1
            raw = next(records, None)
            if raw is None:
                raise CanonicalDocumentError(
                    f"canonical document ended early: group {group.pmt_inf_id} expects {group.nb_of_txs} "
                    f"transactions (record {number} missing)"
                )
            tx = _transaction(raw, number)
            if tx.pmt_inf_id != group.pmt_inf_id or tx.currency != group.currency:
                raise CanonicalDocumentError(
                    f"canonical record {number}: belongs to {tx.pmt_inf_id}/{tx.currency}, "
                    f"expected {group.pmt_inf_id}/{group.currency} (header group order)"
                )
            total += tx.amount
            yield tx
        if total != group.ctrl_sum:
            raise CanonicalDocumentError(
                f"group {group.pmt_inf_id}: transactions sum to {total}, header says {group.ctrl_sum}"
            )
    if next(records, None) is not None:
        raise CanonicalDocumentError(
            f"canonical document has records after the {header.nb_of_txs} transactions the header announces"
        )
