"""pain.001.001.09 (Customer Credit Transfer Initiation): streaming writer and bounded-memory XSD check.

The writer streams one line per transaction, so a million transactions never sit in memory; the
elements themselves are defined once, in `pain001_elements`. Everything in the output comes from the
canonical document, including CreDtTm, so a re-run produces a byte-identical file. The XSD is the
official one that sepaxml ships (`sepaxml/schemas/pain.001.001.09.xsd`).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import BinaryIO, cast

from lxml import etree

from shared.domain import pain001_elements as xml
from shared.domain.canonical import CanonicalDocument, CanonicalDocumentError, CreditTransfer, PaymentGroup
from shared.streams import Blocks

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
MAX_SCHEMA_ERRORS = 20
_ROOT_TAG = f"{{{NAMESPACE}}}Document"
_BLOCK = 1 << 18  # bytes fed to the validating parser at a time (and the granularity of pruning)
EXACT_REPORT_BYTES = 64 * 1024 * 1024


class Pain001SchemaError(ValueError):
    """The XML does not validate against pain.001.001.09.xsd; the message lists errors with lines."""


def schema() -> etree.XMLSchema:
    """The official XSD, parsed once per process (with pain.002's: `xsd_schemas`)."""
    from shared.domain.xsd_schemas import schema_for

    return schema_for("pain.001")


def parse_pain001_schema() -> etree.XMLSchema:
    xsd = resources.files("sepaxml") / "schemas" / "pain.001.001.09.xsd"
    with xsd.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle))


@lru_cache(maxsize=1024)
def _debtor_agent_bic(iban: str) -> str | None:
    # schwifty's bank registry knows many banks' BICs; when it does not, we say NOTPROVIDED (EPC usage).
    # Imported here, not with the module: the check helper imports this module and never writes, and
    # without schwifty it starts in ~0.15 s instead of ~0.26 s (Python, lxml and the XSD left).
    from schwifty import IBAN

    bic = IBAN(iban, allow_invalid=True).bic
    return None if bic is None else str(bic.compact)


_PROLOGUE = (
    f"<?xml version='1.0' encoding='UTF-8'?>\n<Document xmlns=\"{NAMESPACE}\"><CstmrCdtTrfInitn>\n".encode()
)
_EPILOGUE = b"</CstmrCdtTrfInitn></Document>"
_BATCH = 256


def write_pain001(doc: CanonicalDocument, out: BinaryIO) -> None:
    """Stream the document as pain.001.001.09 to `out` (UTF-8)."""
    transactions = doc.iter_transactions()
    write = out.write
    # Children are written without a namespace inside the default-namespace root, so the text carries
    # one xmlns declaration instead of one per element; parsed, they are all in NAMESPACE. One
    # transaction per line: compact, yet a schema error's line number points at one payment.
    write(_PROLOGUE)
    write(xml.group_header(doc.header).encode() + b"\n")
    for group in doc.header.groups:
        write(xml.payment_info_start(group, _debtor_agent_bic(group.debtor_iban)).encode() + b"\n")
        for batch in _batches(transactions, group):
            write(batch)
        write(xml.PAYMENT_INFO_END.encode() + b"\n")
    write(_EPILOGUE)
    if next(transactions, None) is not None:
        raise CanonicalDocumentError("the document has more transactions than its header's groups announce")


def _batches(transactions: Iterator[CreditTransfer], group: PaymentGroup) -> Iterator[bytes]:
    """The group's transactions as UTF-8 lines, in blocks of up to 256 (fewer, larger writes)."""
    remaining = group.nb_of_txs
    transaction = xml.transaction
    while remaining:
        wanted = min(remaining, _BATCH)
        lines = list(map(transaction, islice(transactions, wanted)))  # no Python loop per transaction
        if len(lines) < wanted:
            raise CanonicalDocumentError(
                f"{group.pmt_inf_id} announces {group.nb_of_txs} transactions, the document has fewer"
            )
        remaining -= len(lines)
        yield ("\n".join(lines) + "\n").encode()


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
    raise schema_error(errors)


def schema_error(errors: list[str]) -> Pain001SchemaError:
    """The error that lists `errors` (at most MAX_SCHEMA_ERRORS of them)."""
    shown = "\n".join(f"  {error}" for error in errors[:MAX_SCHEMA_ERRORS])
    more = f"\n  ... and {len(errors) - MAX_SCHEMA_ERRORS} more" if len(errors) > MAX_SCHEMA_ERRORS else ""
    return Pain001SchemaError(f"pain.001 does not validate against pain.001.001.09.xsd:\n{shown}{more}")


def _open(source: BinaryIO | Path | bytes) -> contextlib.AbstractContextManager[BinaryIO]:
    if isinstance(source, bytes):
        return contextlib.nullcontext(io.BytesIO(source))
    if isinstance(source, Path):
        return source.open("rb")
    return contextlib.nullcontext(source)


def _streaming_error(stream: BinaryIO) -> str | None:
    check = StreamingCheck()
    for block in iter(lambda: stream.read(_BLOCK), b""):
        check.write(block)
    return check.first_error()


class StreamingCheck:
    """The XSD check of a pain.001 fed piece by piece as it is written (`write`, then `first_error`).

    libxml2 validates the parser's SAX stream against the schema as it goes; the tree it also builds is
    only pruned to bound memory. One event (the root's start) and one prune per `_BLOCK` fed: no Python
    work per element. A writer can send its output here and to its destination at once, so nothing is
    written twice or read back; the error has no line number (see `validate_pain001` for that).
    """

    def __init__(self) -> None:
        self._parser = etree.XMLPullParser(events=("start",), schema=schema(), huge_tree=True, tag=_ROOT_TAG)
        self._root: etree._Element | None = None
        self._blocks = Blocks(_BLOCK)
        self._error: str | None = None
        self._closed = False

    def write(self, data: bytes) -> int:
        if self._error is None and (block := self._blocks.add(data)) is not None:
            self._feed(block)
        return len(data)

    def first_error(self) -> str | None:
        """None when the whole document validates; else libxml2's first error, namespaces removed."""
        if not self._closed:
            self._closed = True
            if self._error is None:
                self._feed(self._blocks.rest())
                self._guard(self._parser.close)
        return self._error

    def _feed(self, block: bytes) -> None:
        if block:
            self._guard(lambda: self._parser.feed(block))
        if self._root is None and self._error is None:
            for _, element in self._parser.read_events():
                if isinstance(element, etree._Element):  # "start" events carry elements
                    self._root = element
        _prune(self._root)

    def _guard(self, step: Callable[[], object]) -> None:
        try:
            step()
        except etree.XMLSyntaxError as exc:
            self._error = _short(str(exc.msg))


class InProcessChecks:
    """Every check in this process (`SchemaChecks` of `shared.ports`): the default, and what a test uses."""

    def open(self, transactions: int) -> contextlib.AbstractContextManager[StreamingCheck]:
        return contextlib.nullcontext(StreamingCheck())


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
