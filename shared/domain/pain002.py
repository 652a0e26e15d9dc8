"""pain.002.001.10 (Customer Payment Status Report): what became of a sender's file, built from facts.

Pure: `ReportFacts` in, XML bytes out, built with the `pyiso20022` xsdata bindings and serialised by
xsdata, then checked against the schema (`pain002_schema`) before anyone writes it. Everything in it
comes from the facts (CreDtTm is the moment the file ended), so the same ending always gives the same
bytes. The status words and reason codes:
- delivered: group `ACCP` (the file passed the technical checks *and* the sender's profile: accounts,
  currencies, limits), `OrgnlMsgId` = the pain.001's MsgId, one group `StsRsnInf` per warning;
- rejected: group `RJCT`; file-level errors as group `StsRsnInf`; one `TxInfAndSts` per rejected row
  (`OrgnlEndToEndId` = payment_id, `TxSts` `RJCT`, one `StsRsnInf` per error);
- duplicate / failed: group `RJCT` with one reason that names the earlier file or the failed step.
Reason codes come from `status_reasons` (the one table); the human message goes in `AddtlInf`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pyiso20022.pain.pain_002_001_10 import pain_002_001_10 as iso
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDateTime

from shared.domain.ids import make_msg_id
from shared.domain.pain002_schema import NAMESPACE, validate_pain002
from shared.domain.status_reasons import DUPLICATE_FILE, FAILED_FILE, iso_reason

PAIN001_NAME = "pain.001.001.09"
AS_SENT = "CSV"  # OrgnlMsgNmId of a file that never became a pain.001: the sender's own file
NOT_PROVIDED = "NOTPROVIDED"  # the EPC's OrgnlEndToEndId for a payment whose id cannot be quoted
MAX_TEXT = 105  # Max105Text: one AddtlInf line
MAX_ID = 35


@dataclass(frozen=True)
class Issue:
    """One error or warning as the report needs it."""

    code: str
    message: str
    row: int | None = None
    payment_id: str | None = None


@dataclass(frozen=True)
class ReportFacts:
    """What the report says, whoever gathered it (the reporter from `file.ended`, the CLI from a dry run)."""

    file_id: str
    state: str  # delivered, rejected, duplicate, failed
    blob_name: str
    ended_at: datetime
    msg_id: str | None = None
    nb_of_txs: int | None = None
    ctrl_sum: Decimal | None = None
    errors: tuple[Issue, ...] = ()
    error_count: int | None = None  # all the errors found; `errors` may list only the first of them
    warnings: tuple[Issue, ...] = ()
    duplicate_of: str | None = None
    failed_step: str | None = None


# One serializer for every report: its context caches each binding class's metadata, which a fresh
# serializer rebuilt on every call (about a tenth of the reporter's CPU for a small file).
_SERIALIZER = XmlSerializer(context=XmlContext(), config=SerializerConfig(indent="  "))


def report_msg_id(file_id: str) -> str:
    """The report's own MsgId: the original's, marked as its status report (<= 33 characters)."""
    return f"{make_msg_id(file_id)}-STS"


def build_pain002(facts: ReportFacts) -> bytes:
    """The report as UTF-8 XML, checked against the schema (`Pain002Invalid` if it does not conform)."""
    document = iso.Document(cstmr_pmt_sts_rpt=iso.CustomerPaymentStatusReportV10(
        grp_hdr=iso.GroupHeader86(msg_id=report_msg_id(facts.file_id), cre_dt_tm=_when(facts.ended_at)),
        orgnl_grp_inf_and_sts=_group(facts),
        orgnl_pmt_inf_and_sts=_rejected_payments(facts),
    ))
    xml = _SERIALIZER.render(document, ns_map={None: NAMESPACE})
    data = xml.encode("utf-8")
    validate_pain002(data)
    return data


def _group(facts: ReportFacts) -> iso.OriginalGroupHeader17:
    delivered = facts.state == "delivered"
    return iso.OriginalGroupHeader17(
        orgnl_msg_id=facts.msg_id or make_msg_id(facts.file_id),
        orgnl_msg_nm_id=PAIN001_NAME if delivered else AS_SENT,
        orgnl_nb_of_txs=str(facts.nb_of_txs) if facts.nb_of_txs is not None else None,
        orgnl_ctrl_sum=facts.ctrl_sum,
        grp_sts="ACCP" if delivered else "RJCT",
        sts_rsn_inf=[_reason(code, text) for code, text in _group_reasons(facts)],
    )


def _group_reasons(facts: ReportFacts) -> list[tuple[str, str]]:
    name = f"file {facts.blob_name}" if facts.blob_name else f"file {facts.file_id}"
    if facts.state == "delivered":
        return [(iso_reason(w.code), w.message) for w in facts.warnings]
    if facts.state == "duplicate":
        return [(DUPLICATE_FILE, f"{name} carries the same payments as file {facts.duplicate_of}, which was "
                 "already delivered or is in progress; it was not processed again (its "
                 "payments are those of the earlier file).")]
    if facts.state == "failed":
        step = facts.failed_step or "processing"
        return [(FAILED_FILE, f"the bank could not process {name} (its {step} step failed); nothing in it "
                 "was paid. Send it again, or contact the bank quoting file id " + facts.file_id + ".")]
    rows = {e.row for e in facts.errors if e.row is not None}
    count = max(facts.error_count or 0, len(facts.errors))
    if count == len(facts.errors):
        found = f"{count} error(s) in {len(rows)} payment(s)"
    else:  # the validator keeps the first errors only (MAX_REPORTED_ISSUES); say so rather than undercount
        found = f"{count} error(s), the first {len(facts.errors)} listed here (in {len(rows)} payment(s))"
    summary = (f"{name} was rejected with {found}; nothing in it was paid. Correct the errors and send the "
               "whole file again.")
    return [("NARR", summary), *((iso_reason(e.code), e.message) for e in facts.errors if e.row is None)]


def _rejected_payments(facts: ReportFacts) -> list[iso.OriginalPaymentInstruction32]:
    by_row: dict[int, list[Issue]] = {}
    for error in facts.errors:
        if error.row is not None:
            by_row.setdefault(error.row, []).append(error)
    if facts.state != "rejected" or not by_row:
        return []
    transactions = [_transaction(issues) for _, issues in sorted(by_row.items())]
    return [iso.OriginalPaymentInstruction32(orgnl_pmt_inf_id=make_msg_id(facts.file_id), pmt_inf_sts="RJCT",
                                             tx_inf_and_sts=transactions)]


def _transaction(issues: list[Issue]) -> iso.PaymentTransaction105:
    payment_id = issues[0].payment_id
    quoted = payment_id if payment_id and len(payment_id) <= MAX_ID else NOT_PROVIDED
    return iso.PaymentTransaction105(orgnl_end_to_end_id=quoted, tx_sts="RJCT",
                                     sts_rsn_inf=[_reason(iso_reason(i.code), i.message) for i in issues])


def _reason(code: str, text: str) -> iso.StatusReasonInformation12:
    return iso.StatusReasonInformation12(rsn=iso.StatusReason6Choice(cd=code), addtl_inf=_lines(text))


def _lines(text: str) -> list[str]:
    """`AddtlInf` lines of at most 105 characters, cut between words where possible."""
    # Never at hyphens: file ids and IBAN-like values must stay whole on one line.
    return textwrap.wrap(" ".join(text.split()), MAX_TEXT, break_on_hyphens=False) or ["-"]


def _when(moment: datetime) -> XmlDateTime:
    return XmlDateTime.from_datetime(moment.replace(microsecond=0))


def issues_from(records: Iterable[dict[str, object]], severity: str) -> tuple[Issue, ...]:
    """`Issue`s from `EndingIssue`-shaped records (or the dry run's report) of one severity."""
    return tuple(_issue(r) for r in records if r.get("severity", "error") == severity)


def _issue(record: dict[str, object]) -> Issue:
    row = record.get("row")
    return Issue(code=str(record.get("code")), message=str(record.get("message") or ""),
                 row=row if isinstance(row, int) else None,
                 payment_id=str(record["payment_id"]) if record.get("payment_id") else None)
