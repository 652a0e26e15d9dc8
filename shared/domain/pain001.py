"""pain.001.001.09 (Customer Credit Transfer Initiation): streaming writer and bounded-memory XSD check.

The writer streams one line per transaction, so a million transactions never sit in memory. Its
bytes are exactly what lxml's `etree.xmlfile` writes for the same elements: headers are lxml
elements, and a transaction is formatted from a template when libxml2 would write its values
verbatim (else built as elements and serialised by lxml, which escapes or refuses them). Everything
in the output comes from the canonical document, including CreDtTm, so a re-run produces a
byte-identical file. The XSD is the official one that
sepaxml ships (`sepaxml/schemas/pain.001.001.09.xsd`).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, cast

from lxml import etree
from schwifty import IBAN

from shared.domain.canonical import CanonicalDocument, CanonicalDocumentError, CreditTransfer, PaymentGroup

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
MAX_SCHEMA_ERRORS = 20
_ROOT_TAG = f"{{{NAMESPACE}}}Document"
_BLOCK = 1 << 18  # bytes fed to the validating parser at a time (and the granularity of pruning)
EXACT_REPORT_BYTES = 64 * 1024 * 1024


class Pain001SchemaError(ValueError):
    """The XML does not validate against pain.001.001.09.xsd; the message lists errors with lines."""


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The official XSD, parsed once per process."""
    xsd = resources.files("sepaxml") / "schemas" / "pain.001.001.09.xsd"
    with xsd.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle))


@lru_cache(maxsize=1024)
def _debtor_agent_bic(iban: str) -> str | None:
    # schwifty's bank registry knows many banks' BICs; when it does not, we say NOTPROVIDED (EPC usage).
    bic = IBAN(iban, allow_invalid=True).bic
    return None if bic is None else str(bic.compact)


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _party(parent: etree._Element, tag: str, name: str) -> None:
    _text(etree.SubElement(parent, tag), "Nm", name)


def _account(parent: etree._Element, tag: str, iban: str) -> None:
    _text(etree.SubElement(etree.SubElement(parent, tag), "Id"), "IBAN", iban)


def _agent(parent: etree._Element, tag: str, bic: str | None) -> None:
    institution = etree.SubElement(etree.SubElement(parent, tag), "FinInstnId")
    if bic:
        _text(institution, "BICFI", bic)
    else:
        _text(etree.SubElement(institution, "Othr"), "Id", "NOTPROVIDED")


def _group_header(doc: CanonicalDocument) -> etree._Element:
    header = doc.header
    element = etree.Element("GrpHdr")
    _text(element, "MsgId", header.msg_id)
    _text(element, "CreDtTm", header.creation_time.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    _text(element, "NbOfTxs", str(header.nb_of_txs))
    _text(element, "CtrlSum", format(header.ctrl_sum, "f"))
    _party(element, "InitgPty", header.sender_name)
    return element


def _payment_info_start(group: PaymentGroup) -> list[etree._Element]:
    """The elements of a PmtInf block that come before its transactions, in schema order."""
    holder = etree.Element("PmtInf")
    _text(holder, "PmtInfId", group.pmt_inf_id)
    _text(holder, "PmtMtd", "TRF")
    _text(holder, "NbOfTxs", str(group.nb_of_txs))
    _text(holder, "CtrlSum", format(group.ctrl_sum, "f"))
    _text(etree.SubElement(holder, "ReqdExctnDt"), "Dt", group.execution_date.isoformat())
    _party(holder, "Dbtr", group.debtor_name)
    _account(holder, "DbtrAcct", group.debtor_iban)
    _agent(holder, "DbtrAgt", _debtor_agent_bic(group.debtor_iban))
    return list(holder)


def _transaction_template(with_bic: bool, with_remittance: bool) -> etree._Element:
    element = etree.Element("CdtTrfTxInf")
    _text(etree.SubElement(element, "PmtId"), "EndToEndId", "")
    _text(etree.SubElement(element, "Amt"), "InstdAmt", "")
    if with_bic:
        _agent(element, "CdtrAgt", "X")
    _party(element, "Cdtr", "")
    _account(element, "CdtrAcct", "")
    if with_remittance:
        _text(etree.SubElement(element, "RmtInf"), "Ustrd", "")
    return element


# One template per shape; copying one (in C) is about twice as fast as building 14 elements in Python.
_TEMPLATES = {(bic, rmt): _transaction_template(bic, rmt) for bic in (True, False) for rmt in (True, False)}


def _transaction(tx: CreditTransfer) -> etree._Element:
    bic, remittance = tx.creditor_bic, tx.remittance_info
    element: etree._Element = cast(Any, _TEMPLATES[bool(bic), bool(remittance)]).__copy__()  # deep, in C
    # Children by position (see _transaction_template): PmtId, Amt, [CdtrAgt], Cdtr, CdtrAcct, [RmtInf].
    element[0][0].text = tx.end_to_end_id
    amount = element[1][0]
    amount.text = format(tx.amount, "f")
    amount.set("Ccy", tx.currency)
    position = 2
    if bic:
        element[2][0][0].text = bic
        position = 3
    element[position][0].text = tx.creditor_name
    element[position + 1][0][0].text = tx.creditor_iban
    if remittance:
        element[position + 2][0].text = remittance
    return element


def write_pain001(doc: CanonicalDocument, out: BinaryIO) -> None:
    """Stream the document as pain.001.001.09 to `out` (UTF-8)."""
    transactions = doc.iter_transactions()
    write = out.write
    # The same bytes as lxml's `etree.xmlfile` writing these elements (tests/unit/domain compares
    # the two). Children are written without a namespace inside the default-namespace root, so the
    # text carries one xmlns declaration instead of one per element; parsed, they are all in NAMESPACE.
    # One transaction per line: compact, yet a schema error's line number points at one payment.
    write(_PROLOGUE)
    write(_serialise(_group_header(doc)) + b"\n")
    for group in doc.header.groups:
        write(b"<PmtInf>" + b"".join(map(_serialise, _payment_info_start(group))) + b"\n")
        for batch in _batches(transactions, group):
            write(batch)
        write(b"</PmtInf>\n")
    write(_EPILOGUE)
    if next(transactions, None) is not None:
        raise CanonicalDocumentError("the document has more transactions than its header's groups announce")


_PROLOGUE = (
    f"<?xml version='1.0' encoding='UTF-8'?>\n<Document xmlns=\"{NAMESPACE}\"><CstmrCdtTrfInitn>\n".encode()
)
_EPILOGUE = b"</CstmrCdtTrfInitn></Document>"
# Text made only of these characters is serialised by libxml2 exactly as it is: printable ASCII
# without & < > (escaped in text) and " (escaped in attributes). Anything else takes lxml's own path.
_VERBATIM = re.compile(r"[ !#-%'-;=?-~]*")
_BATCH = 256


def _serialise(element: etree._Element) -> bytes:
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False)


def _batches(transactions: Iterator[CreditTransfer], group: PaymentGroup) -> Iterator[bytes]:
    """The group's transactions as UTF-8 lines, in blocks of up to 256.

    A transaction whose values libxml2 would write verbatim is formatted from a template (several
    times faster than building and serialising 14 elements); any other one, with characters to escape
    or that XML cannot carry, is built as elements and serialised by lxml, so escaping and errors are
    exactly lxml's.
    """
    remaining = group.nb_of_txs
    verbatim = _VERBATIM.fullmatch
    while remaining:
        lines: list[str] = []
        for _ in range(min(remaining, _BATCH)):
            tx = next(transactions, None)
            if tx is None:
                raise CanonicalDocumentError(
                    f"{group.pmt_inf_id} announces {group.nb_of_txs} transactions, the document has fewer"
                )
            bic, remittance = tx.creditor_bic, tx.remittance_info
            if verbatim(
                f"{tx.end_to_end_id}{tx.currency}{tx.creditor_name}{tx.creditor_iban}{bic or ''}{remittance}"
            ):
                agent = f"<CdtrAgt><FinInstnId><BICFI>{bic}</BICFI></FinInstnId></CdtrAgt>" if bic else ""
                info = f"<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>" if remittance else ""
                lines.append(
                    f"<CdtTrfTxInf><PmtId><EndToEndId>{tx.end_to_end_id}</EndToEndId></PmtId>"
                    f'<Amt><InstdAmt Ccy="{tx.currency}">{tx.amount:f}</InstdAmt></Amt>{agent}'
                    f"<Cdtr><Nm>{tx.creditor_name}</Nm></Cdtr>"
                    f"<CdtrAcct><Id><IBAN>{tx.creditor_iban}</IBAN></Id></CdtrAcct>{info}</CdtTrfTxInf>\n"
                )
            else:
                lines.append(_serialise(_transaction(tx)).decode() + "\n")
        remaining -= len(lines)
        yield "".join(lines).encode()


def validate_pain001(source: BinaryIO | Path | bytes) -> None:
    """Validate against the official XSD in bounded memory; raise `Pain001SchemaError` listing errors.

    The check streams 256 KiB blocks through a validating pull parser and drops finished elements.
    libxml2 gives no line numbers when it validates while streaming, so only when that fails, and the
    input is re-readable and at most EXACT_REPORT_BYTES, is it parsed whole to list every error with
    its line (a failure means a bug in the writer, so this costly path is rare).
    """
    with _open(source) as stream:
        first = _streaming_error(stream)
        if first is None:
            return
        if not stream.seekable():
            errors = [f"{first} (the first error; line numbers need an input that can be read twice)"]
        elif stream.seek(0, io.SEEK_END) > EXACT_REPORT_BYTES:
            errors = [
                f"{first} (the first error; line numbers only for documents up to {EXACT_REPORT_BYTES} bytes)"
            ]
        else:
            stream.seek(0)
            errors = _errors_with_lines(stream.read())
    shown = "\n".join(f"  {error}" for error in errors[:MAX_SCHEMA_ERRORS])
    more = f"\n  ... and {len(errors) - MAX_SCHEMA_ERRORS} more" if len(errors) > MAX_SCHEMA_ERRORS else ""
    raise Pain001SchemaError(f"pain.001 does not validate against pain.001.001.09.xsd:\n{shown}{more}")


def _open(source: BinaryIO | Path | bytes) -> contextlib.AbstractContextManager[BinaryIO]:
    if isinstance(source, bytes):
        return contextlib.nullcontext(io.BytesIO(source))
    if isinstance(source, Path):
        return source.open("rb")
    return contextlib.nullcontext(source)


def _streaming_error(stream: BinaryIO) -> str | None:
    # libxml2 validates the parser's SAX stream against the schema as it goes; the tree it also builds
    # is only pruned here to bound memory. One event (the root's start) and one prune per block: no
    # Python work per element.
    parser = etree.XMLPullParser(events=("start",), schema=schema(), huge_tree=True, tag=_ROOT_TAG)
    root: etree._Element | None = None
    try:
        for block in iter(lambda: stream.read(_BLOCK), b""):
            parser.feed(block)
            if root is None:
                for _, element in parser.read_events():
                    if isinstance(element, etree._Element):  # "start" events carry elements
                        root = element
            _prune(root)
        parser.close()
    except etree.XMLSyntaxError as exc:
        return _short(str(exc.msg))
    return None


def _prune(node: etree._Element | None) -> None:
    """Drop every finished element: all but the last child of the root, of that child, and so on.

    Between two `feed`s only the last child at each level can still be open (the parser is adding to
    it), so everything before it is complete and already validated; deleting an element with no
    Python proxy frees its libxml2 nodes. What is left is one path from the root to the parser's
    position plus what arrived since the last prune, so memory is bounded by the block size.
    """
    while node is not None and len(node):
        if len(node) > 1:
            del node[:-1]
        node = node[-1]


def _errors_with_lines(document: bytes) -> list[str]:
    try:
        tree = etree.fromstring(document, etree.XMLParser(huge_tree=True)).getroottree()
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {_short(str(exc.msg))}"]
    checker = schema()
    if checker.validate(tree):  # pragma: no cover - the streaming pass and this one disagree
        return ["the streaming validator rejected the document but a full validation accepts it"]
    entries = cast(Iterable[etree._LogEntry], checker.error_log)  # iterable; the stubs omit it
    return [f"line {entry.line}: {_short(entry.message)}" for entry in entries]


def _short(message: str) -> str:
    return message.replace("{" + NAMESPACE + "}", "")
