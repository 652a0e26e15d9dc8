"""pain.001.001.09: XSD-valid, carries the header's figures, byte-identical on re-run, errors with lines."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from domain_testkit import DEBTOR_2, payment
from lxml import etree

from shared.domain.adaptation import adapt
from shared.domain.canonical import CanonicalDocument, CanonicalDocumentError
from shared.domain.pain001 import (
    NAMESPACE,
    Pain001SchemaError,
    StreamingCheck,
    validate_pain001,
    write_pain001,
)

pytestmark = pytest.mark.unit

NS = {"p": NAMESPACE}
CREATED = datetime(2026, 11, 22, 8, 30, 5, tzinfo=UTC)


def _document() -> CanonicalDocument:
    payments = [
        payment(1, creditor_bic="DEUTDEBBXXX", creditor_name="Jorg Muller"),  # validation made it SEPA Latin
        payment(2, debtor_iban=DEBTOR_2, amount=Decimal("0.01"), remittance_info=""),
        payment(3, currency="JPY", amount=Decimal("125000")),
        payment(4, amount=Decimal("99.99")),
    ]
    return adapt(payments, file_id="acme.pay.0a1b2c3d", sender="acme", sender_name="ACME Payroll Ltd",
                 creation_time=CREATED)  # fmt: skip


def _xml(doc: CanonicalDocument) -> bytes:
    out = io.BytesIO()
    write_pain001(doc, out)
    return out.getvalue()


def test_output_validates_and_carries_the_header_figures() -> None:
    doc = _document()
    xml = _xml(doc)
    validate_pain001(xml)
    root = etree.fromstring(xml)
    assert root.tag == f"{{{NAMESPACE}}}Document"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == doc.header.msg_id
    assert root.findtext(".//p:GrpHdr/p:CreDtTm", namespaces=NS) == "2026-11-22T08:30:05+00:00"
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "4"
    assert Decimal(root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) or "") == Decimal("125110.00")
    assert root.findtext(".//p:GrpHdr/p:InitgPty/p:Nm", namespaces=NS) == "ACME Payroll Ltd"
    blocks = root.findall(".//p:PmtInf", NS)
    assert [b.findtext("p:PmtInfId", namespaces=NS) for b in blocks] == [
        g.pmt_inf_id for g in doc.header.groups
    ]
    for block, group in zip(blocks, doc.header.groups, strict=True):
        amounts = [Decimal(a.text or "") for a in block.findall(".//p:InstdAmt", NS)]
        assert block.findtext("p:NbOfTxs", namespaces=NS) == str(len(amounts)) == str(group.nb_of_txs)
        assert Decimal(block.findtext("p:CtrlSum", namespaces=NS) or "") == sum(amounts) == group.ctrl_sum
        assert {a.get("Ccy") for a in block.findall(".//p:InstdAmt", NS)} == {group.currency}


def test_optional_parts_are_left_out_when_empty() -> None:
    root = etree.fromstring(_xml(_document()))
    txs = {
        t.findtext("p:PmtId/p:EndToEndId", namespaces=NS): t for t in root.iterfind(".//p:CdtTrfTxInf", NS)
    }
    assert txs["P-1"].findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "DEUTDEBBXXX"
    assert txs["P-1"].findtext("p:Cdtr/p:Nm", namespaces=NS) == "Jorg Muller"
    assert txs["P-2"].find("p:CdtrAgt", NS) is None and txs["P-2"].find("p:RmtInf", NS) is None


def test_rerun_is_byte_identical() -> None:
    assert _xml(_document()) == _xml(_document())


def _broken_xml() -> bytes:
    xml = _xml(_document()).replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>", 1)
    return xml.replace(b"<NbOfTxs>4</NbOfTxs>", b"<NbOfTxs>four</NbOfTxs>", 1)


def _line_of(xml: bytes, needle: bytes) -> int:
    return xml[: xml.index(needle)].count(b"\n") + 1


def test_schema_errors_are_listed_with_line_numbers() -> None:
    xml = _broken_xml()
    with pytest.raises(Pain001SchemaError) as caught:
        validate_pain001(xml)
    message = str(caught.value)
    assert f"line {_line_of(xml, b'<NbOfTxs>four')}: Element 'NbOfTxs'" in message
    assert f"line {_line_of(xml, b'<PmtMtd>XXX')}: Element 'PmtMtd'" in message


def test_validates_paths_and_streams(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(_xml(_document()))
    validate_pain001(good)
    validate_pain001(io.BytesIO(good.read_bytes()))
    with pytest.raises(Pain001SchemaError, match="PmtMtd"):
        validate_pain001(io.BytesIO(_broken_xml()))


@pytest.mark.parametrize("xml, fragment", [(b"", "Document is empty"), (b"<a></b>", "mismatch"),
                                           (b"<Other/>", "No matching global declaration")])  # fmt: skip
def test_not_pain001_at_all(xml: bytes, fragment: str) -> None:
    with pytest.raises(Pain001SchemaError, match=fragment):
        validate_pain001(xml)


def test_a_document_inconsistent_with_its_header_is_refused() -> None:
    doc = _document()
    fewer = CanonicalDocument(doc.header, lambda: iter(list(doc.iter_transactions())[:-1]))
    with pytest.raises(CanonicalDocumentError, match="fewer"):
        write_pain001(fewer, io.BytesIO())
    more = CanonicalDocument(
        doc.header, lambda: iter([*doc.iter_transactions(), next(doc.iter_transactions())])
    )
    with pytest.raises(CanonicalDocumentError, match="more transactions"):
        write_pain001(more, io.BytesIO())


class _OneWay(io.BytesIO):
    def seekable(self) -> bool:
        return False


def test_a_stream_that_cannot_be_read_twice_still_gets_the_first_error() -> None:
    with pytest.raises(Pain001SchemaError) as caught:
        validate_pain001(_OneWay(_broken_xml()))
    assert "Element 'NbOfTxs'" in str(caught.value) and "can be read twice" in str(caught.value)


def _fed_in_pieces(xml: bytes, piece: int) -> str | None:
    check = StreamingCheck()
    for start in range(0, len(xml), piece):
        assert check.write(xml[start:start + piece]) == len(xml[start:start + piece])
    return check.first_error()


@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
def test_the_streaming_check_accepts_a_valid_document_fed_in_any_pieces(piece: int) -> None:
    assert _fed_in_pieces(_xml(_document()), piece) is None


@pytest.mark.parametrize("piece", [3, 4096, 1 << 20])
def test_the_streaming_check_gives_the_first_error_whatever_the_pieces(piece: int) -> None:
    error = _fed_in_pieces(_broken_xml(), piece)
    assert error is not None and "NbOfTxs" in error and NAMESPACE not in error


def test_the_streaming_check_refuses_a_document_cut_short_and_asking_twice_gives_the_same_answer() -> None:
    check = StreamingCheck()
    check.write(_xml(_document())[:-40])
    first = check.first_error()
    assert first is not None
    assert check.first_error() == first
