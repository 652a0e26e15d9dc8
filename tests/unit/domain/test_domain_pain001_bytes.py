"""The pain.001 writer's bytes: what lxml itself would write for the same tree, escaped, and XSD-valid.

`write_pain001` builds its text from `pain001_elements` without lxml. These tests pin it to lxml:
parsing the output and serialising it again with lxml gives the same bytes (so escaping is exactly
libxml2's), and any text XML cannot carry is refused as lxml refuses it.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from domain_testkit import DEBTOR, DEBTOR_2, TODAY, csv_file, make_reference, payment, row
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from shared.domain import pain001_elements
from shared.domain.adaptation import adapt
from shared.domain.canonical import (
    CanonicalDocument,
    CanonicalDocumentError,
    CanonicalHeader,
    CreditTransfer,
    PaymentGroup,
)
from shared.domain.pain001 import NAMESPACE, Pain001SchemaError, validate_pain001, write_pain001
from shared.domain.pipeline import run_offline

pytestmark = pytest.mark.unit

NS = {"p": NAMESPACE}
CREATED = datetime(2026, 11, 22, 8, 30, 5, tzinfo=UTC)
DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"


def _lxml_refuses(texts: list[str]) -> bool:
    try:
        for text in texts:
            etree.Element("x").text = text
            etree.Element("x").set("a", text)
    except ValueError:
        return True
    return False


Outcome = bytes | type[Exception]


def _both(doc: CanonicalDocument, texts: list[str]) -> tuple[Outcome, Outcome]:
    """(our bytes or error, lxml's re-serialisation of them or the error lxml raises for `texts`)."""
    out = io.BytesIO()
    try:
        write_pain001(doc, out)
    except (ValueError, CanonicalDocumentError) as exc:
        return type(exc), ValueError if _lxml_refuses(texts) else b"lxml accepts it"
    # An empty value (validation never lets one through) parses back as an empty element: <Nm/>.
    ours = re.sub(rb"<(\w+)></\1>", rb"<\1/>", out.getvalue())
    assert ours.startswith(DECLARATION)
    return ours, DECLARATION + etree.tostring(etree.fromstring(ours), encoding="UTF-8")


def _document(transactions: list[CreditTransfer]) -> CanonicalDocument:
    total = sum((tx.amount for tx in transactions), Decimal(0))
    group = PaymentGroup(
        "MSG-G1", DEBTOR, "ACME & <Sons>", date(2026, 11, 30), "EUR", len(transactions), total
    )
    header = CanonicalHeader(file_id="f", sender="acme", sender_name="A \"quoted\" & <tagged> sender",
                             msg_id="MSG", creation_time=CREATED, nb_of_txs=len(transactions),
                             ctrl_sum=total, groups=[group])  # fmt: skip
    return CanonicalDocument(header, lambda: iter(transactions))


def _tx(n: int, **overrides: Any) -> CreditTransfer:
    values: dict[str, Any] = {
        "pmt_inf_id": "MSG-G1",
        "end_to_end_id": f"E2E-{n}",
        "amount": Decimal("10.50"),
        "currency": "EUR",
        "creditor_name": "Jane Doe",
        "creditor_iban": "DE67100700000012345678",
        "creditor_bic": None,
        "remittance_info": "Salary",
    }
    values.update(overrides)
    return CreditTransfer(**values)


AWKWARD = ["Müller & Söhne", "<GmbH>", 'say "hi"', "O'Brien", "a\r\nb", "tab\there", "北京", "", "x" * 80,
           "\x00", "\x1f", "\ud800", "\ufffe", "]]>", "&amp;", "€", "\u00a0"]  # fmt: skip


@pytest.mark.parametrize("text", AWKWARD)
@pytest.mark.parametrize("field", ["end_to_end_id", "creditor_name", "creditor_iban", "creditor_bic",
                                   "remittance_info", "currency"])  # fmt: skip
def test_awkward_text_gives_lxmls_bytes_or_lxmls_error(field: str, text: str) -> None:
    doc = _document([_tx(1), _tx(2, **{field: text}), _tx(3, creditor_bic="DEUTDEBBXXX")])
    ours, theirs = _both(doc, [text])
    assert ours == theirs


_TEXT = st.text(max_size=12)
_AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, st.one_of(st.none(), _TEXT), _AMOUNTS), min_size=1, max_size=4))
def test_any_text_gives_lxmls_bytes_or_lxmls_error(
    values: list[tuple[str, str, str | None, Decimal]],
) -> None:
    transactions = [
        _tx(n, creditor_name=name, remittance_info=remittance, creditor_bic=bic, amount=amount)
        for n, (name, remittance, bic, amount) in enumerate(values)
    ]
    texts = [text for name, remittance, bic, _ in values for text in (name, remittance, bic or "")]
    ours, theirs = _both(_document(transactions), texts)
    assert ours == theirs


def _adapted(count: int) -> CanonicalDocument:
    payments = [
        payment(n, creditor_name=name, creditor_bic=bic, remittance_info=remittance)
        for n, (name, bic, remittance) in enumerate(
            [("Jorg Muller", "DEUTDEBBXXX", "Salary"), ("Zoe O'Brien", None, ""), ("Li", None, "R" * 140)]
            * count
        )
    ]
    return adapt(payments, file_id="acme.pay.0a1b2c3d", sender="acme", sender_name="ACME Payroll Ltd",
                 creation_time=CREATED)  # fmt: skip


def test_an_adapted_document_gives_lxmls_bytes_over_several_blocks() -> None:
    ours, theirs = _both(_adapted(400), [])  # 1200 transactions: more than one block of lines
    assert isinstance(ours, bytes) and ours == theirs
    validate_pain001(ours)


def test_escaped_text_validates_and_reads_back() -> None:
    names = ["Müller & Söhne", "<GmbH>", 'say "hi" > 2', "北京 & Co"]
    out = io.BytesIO()
    write_pain001(
        _document([_tx(n, creditor_name=name, remittance_info=name) for n, name in enumerate(names)]), out
    )
    xml = out.getvalue()
    assert b"M\xc3\xbcller &amp; S\xc3\xb6hne" in xml and b"&lt;GmbH&gt;" in xml
    validate_pain001(xml)
    root = etree.fromstring(xml)
    assert [nm.text for nm in root.iterfind(".//p:Cdtr/p:Nm", NS)] == names
    assert root.findtext(".//p:InitgPty/p:Nm", namespaces=NS) == 'A "quoted" & <tagged> sender'


def test_names_with_markup_and_accents_are_transliterated_and_validate() -> None:
    lines = [
        row(payment_id="P-1", creditor_name="Müller & Söhne <GmbH>", remittance_info="Rechnung Nr. 5 & 6"),
        row(
            payment_id="P-2",
            creditor_name="Łukasz Ørsted > Zoë",
            debtor_name="ACME & Co <Ltd>",
            debtor_iban=DEBTOR_2,
        ),
    ]
    out = io.BytesIO()
    result = run_offline(io.BytesIO(csv_file(*lines)), blob_path="acme/pay.csv", file_id="acme.pay.0a1b2c3d",
                         reference=make_reference(), today=TODAY, creation_time=CREATED, out=out)  # fmt: skip
    assert result.valid, result.issues
    xml = out.getvalue()
    validate_pain001(xml)
    root = etree.fromstring(xml)
    names = {nm.text for nm in root.iterfind(".//p:Cdtr/p:Nm", NS)}
    assert names == {"Muller + Sohne (GmbH)", "Lukasz Orsted ) Zoe"}
    assert "Rechnung Nr. 5 + 6" in {u.text for u in root.iterfind(".//p:RmtInf/p:Ustrd", NS)}
    # The debtor is the registered account holder; the file's other name is the ultimate debtor.
    assert {nm.text for nm in root.iterfind(".//p:PmtInf/p:Dbtr/p:Nm", NS)} == {"ACME Payroll Ltd"}
    assert [nm.text for nm in root.iterfind(".//p:UltmtDbtr/p:Nm", NS)] == ["ACME + Co (Ltd)"]


def test_rerun_is_byte_identical() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    write_pain001(_adapted(50), first)
    write_pain001(_adapted(50), second)
    assert first.getvalue() == second.getvalue()


@pytest.mark.parametrize("where", [0.0, 0.5, 0.999])
def test_streaming_validation_sees_errors_in_every_block(where: float) -> None:
    out = io.BytesIO()
    write_pain001(_adapted(1500), out)  # 4500 transactions, about 1.5 MB: several blocks, pruned in between
    xml = out.getvalue()
    validate_pain001(io.BytesIO(xml))
    at = xml.index(b">10.00</InstdAmt>", int(len(xml) * where))
    broken = xml[:at] + b">10.0x</InstdAmt>" + xml[at + len(b">10.00</InstdAmt>") :]
    with pytest.raises(Pain001SchemaError, match=r"InstdAmt.*10.0x"):
        validate_pain001(io.BytesIO(broken))
    with pytest.raises(Pain001SchemaError):  # cut off: not well-formed
        validate_pain001(io.BytesIO(xml[: int(len(xml) * where) + 100]))


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [Decimal("1E+2"), Decimal("0.0000001"), Decimal("-0"), Decimal("0.000001"), Decimal("12.50")]
))  # fmt: skip
def test_amount_text_is_the_f_format(value: Decimal) -> None:
    # The writer uses str where it is faster; it must write exactly what format(value, "f") writes.
    assert pain001_elements.decimal_text(value) == format(value, "f")
