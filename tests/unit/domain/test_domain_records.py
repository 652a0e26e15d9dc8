"""Record forms: Payment records, canonical records and NDJSON round-trip; malformed input is refused."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from domain_testkit import payment

from shared.domain.adaptation import adapt
from shared.domain.canonical import (
    CanonicalDocumentError,
    document_from_records,
    document_records,
    read_ndjson,
    write_ndjson,
)
from shared.domain.ndjson import NdjsonError, ndjson_line
from shared.domain.payments import Payment, PaymentRecordError

pytestmark = pytest.mark.unit

CREATED = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def _records() -> list[dict[str, Any]]:
    payments = [
        payment(1),
        payment(2, currency="JPY", amount=Decimal("700")),
        payment(3, amount=Decimal("0.01")),
    ]
    doc = adapt(payments, file_id="acme.f.1", sender="acme", sender_name="ACME", creation_time=CREATED)
    return list(document_records(doc))


def test_payment_record_round_trip_is_json_safe() -> None:
    original = payment(1, amount=Decimal("1234.50"), creditor_bic="DEUTDEBBXXX")
    record = original.to_record()
    assert record["amount"] == "1234.50" and record["execution_date"] == "2026-11-30"
    assert Payment.from_record(json.loads(json.dumps(record))) == original


@pytest.mark.parametrize(
    "field, value, fragment",
    [("amount", 12.5, "decimal string"), ("amount", "12,5", "not a decimal"), ("row", "2", "'row'"),
     ("execution_date", "2026-13-01", "not a valid date"), ("payment_id", None, "'payment_id'"),
     ("creditor_bic", 5, "'creditor_bic'")],
)  # fmt: skip
def test_bad_payment_records_are_refused(field: str, value: Any, fragment: str) -> None:
    record = payment(1).to_record() | {field: value}
    with pytest.raises(PaymentRecordError, match=fragment):
        Payment.from_record(record)


def test_canonical_records_round_trip_through_ndjson() -> None:
    records = _records()
    assert records[0]["record"] == "header" and {r["record"] for r in records[1:]} == {"transaction"}
    buffer = io.BytesIO()
    assert write_ndjson(records, buffer) == len(records)
    buffer.seek(0)
    doc = document_from_records(read_ndjson(buffer))
    assert doc.header.ctrl_sum == Decimal("710.01") and doc.header.creation_time == CREATED
    assert list(document_records(doc)) == records


def test_ndjson_lines_are_the_standard_compact_json_bytes() -> None:
    """The staged bytes of a record do not depend on the encoder: what `json.dumps` (compact, not
    ASCII-escaped) writes, so a redelivery or an older process stages the same blob."""
    record = {"row": 7, "name": "Zoë «Ω» 😀 \u2028 tab\t quote\" nul\x00 del\x7f", "bic": None, "ok": True,
              "nested": {"list": [1, "x", None], "empty": {}}}
    line = ndjson_line(record)
    assert line == json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    assert list(read_ndjson(io.BytesIO(line + b"\n" + line))) == [record, record]  # a blank line is skipped


def test_values_json_has_no_type_for_are_written_as_their_string_never_a_float() -> None:
    line = ndjson_line({"amount": Decimal("1234.50"), "when": CREATED, "day": CREATED.date()})
    assert line == b'{"amount":"1234.50","when":"2026-11-22 08:30:00+00:00","day":"2026-11-22"}\n'


def test_records_from_a_stream_are_read_once() -> None:
    doc = document_from_records(iter(_records()))
    list(doc.iter_transactions())
    with pytest.raises(CanonicalDocumentError, match="already read"):
        doc.iter_transactions()


def _mutated(index: int, **changes: Any) -> list[dict[str, Any]]:
    records = _records()
    records[index] = records[index] | changes
    return records


@pytest.mark.parametrize(
    "records, fragment",
    [
        ([], "empty"),
        (_records()[1:], "must be the header"),
        (_mutated(0, creation_time="2026-11-22T08:30:00"), "time zone"),
        (_mutated(0, ctrl_sum="1.00"), "ctrl_sum"),
        (_mutated(0, nb_of_txs="3"), "'nb_of_txs' must be int"),
        (_mutated(1, amount=10.0), "decimal string"),
        (_mutated(1, record="header"), "must be a transaction record"),
        (_mutated(1, pmt_inf_id="other"), "header group order"),
        (_mutated(1, amount="11.00"), "sum to"),
        (_records()[:-1], "ended early"),
        ([*_records(), _records()[1]], "after the 3 transactions"),
    ],
)
def test_malformed_canonical_records_are_refused(records: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(CanonicalDocumentError, match=fragment):
        list(document_from_records(records).iter_transactions())


@pytest.mark.parametrize(
    "data, fragment",
    [(b'{"a":1}\n{oops\n', "line 2 is not valid JSON"), (b"[1,2]\n", "line 1 must be a JSON object"),
     (b'{"a":1}\n\n"text"\n', "line 3 must be a JSON object"),
     (b'{"a":"\xff"}\n', "line 1 is not valid JSON"),  # not UTF-8
     (b'\xef\xbb\xbf{"a":1}\n', "line 1 is not valid JSON")],  # a BOM: our writers never write one
)  # fmt: skip
def test_bad_ndjson_lines_are_refused_with_their_number(data: bytes, fragment: str) -> None:
    with pytest.raises(NdjsonError, match=fragment):
        list(read_ndjson(io.BytesIO(data)))


def test_the_adapters_records_are_those_of_its_transactions() -> None:
    # Adapter.finish hands its records straight from the spill; they must be exactly what the generic
    # path (each CreditTransfer turned into its record) gives: addresses, ultimate debtors, groups.
    from shared.domain.addresses import Address
    from shared.domain.canonical import CanonicalDocument

    payments = [
        payment(1, creditor_address=Address("DE", "Berlin", "10115", "Unter den Linden", "5")),
        payment(2, debtor_name="ACME Payroll Berlin", amount=Decimal("10.10")),
        payment(3, currency="JPY", amount=Decimal("700")),
        payment(4, creditor_bic="DEUTDEBBXXX", amount=Decimal("1.00")),
    ]
    doc = adapt(payments, file_id="acme.f.2", sender="acme", sender_name="ACME", creation_time=CREATED)
    fast = list(doc.iter_transaction_records())
    generic = list(CanonicalDocument(doc.header, doc.iter_transactions).iter_transaction_records())
    assert fast == generic and len(fast) == 4
    assert any(r["creditor_address"] for r in fast) and any(r["ultimate_debtor"] for r in fast)
    assert {r["amount"] for r in fast} >= {"1.00", "10.10", "700"}
