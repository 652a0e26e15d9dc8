"""The pain.002 builder against the schema: each state's status words, reasons and references, the
schema refusing what the ISO schema refuses, and the same facts always giving the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree

from shared.domain.pain002 import Issue, ReportFacts, build_pain002, report_msg_id
from shared.domain.pain002_schema import NAMESPACE, Pain002SchemaError, validate_pain002

pytestmark = pytest.mark.unit
NS = {"p": NAMESPACE}
ENDED = datetime(2026, 11, 20, 8, 0, 4, 4000, tzinfo=UTC)
FILE_ID = "acme-payroll.2026-11-20.3f9a1c2e"


def facts(state: str, **more: object) -> ReportFacts:
    return ReportFacts(file_id=FILE_ID, state=state, blob_name="acme-payroll/2026-11-20.csv", ended_at=ENDED,
                       **more)  # type: ignore[arg-type]


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(e.text) for e in root.iterfind(path, NS)]


def test_delivered_is_accepted_with_the_pain001_msg_id_and_each_warning() -> None:
    warning = Issue("transliterated", "row 2, creditor_name: 'Société' was sent as 'Societe'", 2, "P-1")
    root = parse(build_pain002(facts("delivered", msg_id="acme-payroll.202-45aeeb84b62c", nb_of_txs=3,
                                     ctrl_sum=Decimal("376.50"), warnings=(warning,))))
    group = ".//p:OrgnlGrpInfAndSts"
    assert texts(root, f"{group}/p:OrgnlMsgId") == ["acme-payroll.202-45aeeb84b62c"]
    assert texts(root, f"{group}/p:OrgnlMsgNmId") == ["pain.001.001.09"]
    assert texts(root, f"{group}/p:GrpSts") == ["ACCP"]
    assert texts(root, f"{group}/p:OrgnlNbOfTxs") == ["3"]
    assert texts(root, f"{group}/p:OrgnlCtrlSum") == ["376.50"]
    assert texts(root, f"{group}/p:StsRsnInf/p:Rsn/p:Cd") == ["NARR"]
    assert "Société" in texts(root, f"{group}/p:StsRsnInf/p:AddtlInf")[0]
    assert texts(root, ".//p:GrpHdr/p:CreDtTm") == ["2026-11-20T08:00:04Z"]
    assert root.find(".//p:TxInfAndSts", NS) is None


def test_rejected_has_one_transaction_per_rejected_row_and_file_errors_at_group_level() -> None:
    errors = (Issue("invalid_iban", "row 2, creditor_iban: not a valid IBAN", 2, "P-1"),
              Issue("amount_over_limit", "row 3, amount: over the limit", 3, "P-2"),
              Issue("invalid_date", "row 3, execution_date: not a date", 3, "P-2"),
              Issue("invalid_bic", "row 4, creditor_bic: malformed", 4, "P-3"),
              Issue("file_amount_over_limit", "the file's total is over the limit"))
    root = parse(build_pain002(facts("rejected", errors=errors)))
    assert texts(root, ".//p:GrpSts") == ["RJCT"]
    assert texts(root, ".//p:OrgnlGrpInfAndSts/p:StsRsnInf/p:Rsn/p:Cd") == ["NARR", "AM02"]
    transactions = root.findall(".//p:TxInfAndSts", NS)
    assert [t.findtext("p:OrgnlEndToEndId", namespaces=NS) for t in transactions] == ["P-1", "P-2", "P-3"]
    assert {t.findtext("p:TxSts", namespaces=NS) for t in transactions} == {"RJCT"}
    assert [[c.text for c in t.iterfind("p:StsRsnInf/p:Rsn/p:Cd", NS)] for t in transactions] == [
        ["AC01"], ["AM02", "DT01"], ["RC01"]]
    first_text = texts(root, ".//p:TxInfAndSts/p:StsRsnInf/p:AddtlInf")[0]
    assert first_text == "row 2, creditor_iban: not a valid IBAN"


def test_a_payment_id_that_cannot_be_quoted_is_notprovided_and_long_text_is_split() -> None:
    long_message = "word " * 60
    errors = (Issue("payment_id_too_long", long_message, 2, "X" * 40),
              Issue("missing_value", "empty", 3, None))
    root = parse(build_pain002(facts("rejected", errors=errors)))
    assert texts(root, ".//p:OrgnlEndToEndId") == ["NOTPROVIDED", "NOTPROVIDED"]
    lines = root.find(".//p:TxInfAndSts", NS).findall("p:StsRsnInf/p:AddtlInf", NS)  # type: ignore[union-attr]
    assert len(lines) == 3 and all(len(str(line.text)) <= 105 for line in lines)


@pytest.mark.parametrize(
    ("state", "more", "code", "words"),
    [("duplicate", {"duplicate_of": "acme-payroll.2026-11-19.0a1b2c3d"}, "AM05",
      "acme-payroll.2026-11-19.0a1b2c3d"),
     ("failed", {"failed_step": "creator"}, "NARR", "its creator step failed")],
)
def test_duplicate_and_failed_are_rejected_with_a_reason_that_says_which(
        state: str, more: dict[str, str], code: str, words: str) -> None:
    root = parse(build_pain002(facts(state, **more)))
    assert texts(root, ".//p:GrpSts") == ["RJCT"]
    assert texts(root, ".//p:StsRsnInf/p:Rsn/p:Cd") == [code]
    assert words in " ".join(texts(root, ".//p:StsRsnInf/p:AddtlInf"))


def test_the_same_facts_give_the_same_bytes_and_the_report_has_its_own_msg_id() -> None:
    one = build_pain002(facts("failed", failed_step="adaptor"))
    assert one == build_pain002(facts("failed", failed_step="adaptor"))
    assert texts(parse(one), ".//p:GrpHdr/p:MsgId") == [report_msg_id(FILE_ID)]
    assert len(report_msg_id(FILE_ID)) <= 35


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [("<Cd>AM05</Cd>", "<Cd>AM0500</Cd>", "maxLength"),
     ("<GrpSts>RJCT</GrpSts>", "", None),
     ("<OrgnlMsgNmId>CSV</OrgnlMsgNmId>", "", "OrgnlMsgNmId"),
     ("<CreDtTm>2026-11-20T08:00:04Z</CreDtTm>", "<CreDtTm>yesterday</CreDtTm>", "dateTime"),
     ("<Rsn>", "<Rsn><Prtry>X</Prtry>", "Cd")],
)
def test_the_schema_refuses_what_the_iso_schema_refuses(old: str, new: str, complaint: str | None) -> None:
    good = build_pain002(facts("duplicate", duplicate_of="a.b.0000000a")).decode()
    assert old in good
    bad = good.replace(old, new).encode()
    if complaint is None:  # GrpSts is optional in pain.002.001.10
        validate_pain002(bad)
        return
    with pytest.raises(Pain002SchemaError, match=complaint):
        validate_pain002(bad)


def test_a_report_that_lists_only_the_first_errors_says_how_many_there_were() -> None:
    errors = tuple(Issue("invalid_iban", f"row {n}: bad", n, f"P-{n}") for n in range(2, 5))
    root = parse(build_pain002(facts("rejected", errors=errors, error_count=1200)))
    summary = " ".join(texts(root, ".//p:OrgnlGrpInfAndSts/p:StsRsnInf/p:AddtlInf"))
    assert "1200 error(s), the first 3 listed here" in summary
    assert len(root.findall(".//p:TxInfAndSts", NS)) == 3
