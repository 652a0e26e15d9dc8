"""Reading a CSV payment file from a binary stream, one physical line at a time, within limits.

Yields records with the physical line number where they start (header = line 1). Problems that make a
record unreadable (bad UTF-8, an over-long line, broken quoting) become issues for that record's row
instead of exceptions; exceeding the byte limit stops reading. Never reads the whole file at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from shared.domain.issues import (
    FILE_TOO_LARGE,
    INVALID_ENCODING,
    LINE_TOO_LONG,
    MALFORMED_ROW,
    ValidationIssue,
)

MAX_LINE_BYTES = 64 * 1024


@dataclass(slots=True)
class CsvRecord:
    """One CSV record: its first physical line and its fields, or the issue that made it unreadable."""

    row: int
    fields: list[str]
    issue: ValidationIssue | None = None


@dataclass(slots=True)
class _LineReader:
    stream: BinaryIO
    max_bytes: int
    line_no: int = 0
    first: bytes = b""  # line 1 as read, without its BOM: what a header the CSV reader refused said
    bytes_read: int = 0
    too_large: ValidationIssue | None = None
    problems: dict[int, ValidationIssue] = field(default_factory=dict)

    def __iter__(self) -> Iterator[str]:
        readline = self.stream.readline
        while True:
            raw = readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            self.line_no += 1
            self.bytes_read += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raw = self._skip_long_line()
            if self.bytes_read > self.max_bytes:
                self.too_large = ValidationIssue(
                    None, None, FILE_TOO_LARGE,
                    f"file is larger than the limit of {self.max_bytes} bytes; reading stopped at line "
                    f"{self.line_no}. Split it into several files.",
                )  # fmt: skip
                return
            if self.line_no == 1:
                self.first = raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM is allowed once, here
            try:  # decoded here, not in a method: this runs on every line
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = self._undecodable(raw, exc)
            yield line

    def _skip_long_line(self) -> bytes:
        self.problems[self.line_no] = ValidationIssue(
            self.line_no, None, LINE_TOO_LONG,
            f"line {self.line_no} is longer than {MAX_LINE_BYTES} bytes; a payment row is far shorter. "
            "Check the line endings and quoting.",
        )  # fmt: skip
        while True:
            rest = self.stream.readline(MAX_LINE_BYTES)
            self.bytes_read += len(rest)
            if not rest or rest.endswith(b"\n") or self.bytes_read > self.max_bytes:
                return b"\n"

    def _undecodable(self, raw: bytes, exc: UnicodeDecodeError) -> str:
        self.problems.setdefault(
            self.line_no,
            ValidationIssue(
                self.line_no, None, INVALID_ENCODING,
                f"line {self.line_no} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position "
                f"{exc.start + 1}); save the file as UTF-8.",
            ),
        )  # fmt: skip
        return raw.decode("utf-8", errors="replace")


class CsvSource:
    """Iterate `CsvRecord`s; after iteration, `too_large` holds the file-size issue if the limit was hit."""

    def __init__(self, stream: BinaryIO, max_bytes: int) -> None:
        self._lines = _LineReader(stream, max_bytes)

    @property
    def too_large(self) -> ValidationIssue | None:
        return self._lines.too_large

    @property
    def first_line(self) -> str:
        """The file's first line as text (undecodable bytes replaced), once it has been read."""
        return self._lines.first.decode("utf-8", errors="replace").rstrip("\r\n")

    def __iter__(self) -> Iterator[CsvRecord]:
        lines = self._lines
        problems = lines.problems  # the same dict throughout: filled by `lines` as it reads
        reader = csv.reader(lines, strict=True)
        end = 0
        while True:
            start = end + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if lines.too_large is not None:
                    return  # the cut-off, not the sender, broke this record
                end = lines.line_no
                yield CsvRecord(start, [], self._malformed(start, exc))
                continue
            end = lines.line_no
            problem = self._problem_between(start, end) if problems else None
            if problem is not None:
                yield CsvRecord(start, fields, problem)
            elif fields:  # a blank line holds no payment; skipping it drops nothing
                yield CsvRecord(start, fields)

    def _problem_between(self, start: int, end: int) -> ValidationIssue | None:
        problems = self._lines.problems
        if not problems:
            return None
        found = [problems.pop(n) for n in range(start, end + 1) if n in problems]
        return found[0] if found else None

    def _malformed(self, row: int, exc: csv.Error) -> ValidationIssue:
        return ValidationIssue(
            row, None, MALFORMED_ROW,
            f"row {row} is not valid CSV ({exc}); quote fields that contain commas with \"...\" and double "
            "any quote inside a quoted field.",
        )  # fmt: skip
