"""The offline dry run: `python -m shared.cli check FILE --sender ID [--reference REF] [--out OUT] [--json]
[--status-report OUT.xml]`.

It runs the same validate -> adapt -> create code as the functions, in-process and without Azure, so
an operator can check a file before dropping it. Exit codes: 0 valid (pain.001 written), 1 rejected
(the JSON report on stdout), 2 usage error (one line on stderr), 3 internal error (a bug; one line on
stderr). Never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from shared.adapters.clock import SystemClock, clock_from_environment
from shared.cli_report import dry_run_facts, write_status_report
from shared.domain.ids import make_file_id, make_msg_id, sender_from_blob_path
from shared.domain.pipeline import run_offline
from shared.domain.reference import ReferenceTable, ReferenceTableError, parse_reference_table
from shared.domain.validation import ValidationResult
from shared.settings import ConfigurationError, parse_pipeline_today

DEFAULT_REFERENCE = Path(__file__).resolve().parent.parent / "samples" / "reference-table.json"
EXIT_VALID, EXIT_REJECTED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """Bad input from the command line: reported as one line on stderr with exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.cli", description="Payment-file tools (offline).")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate FILE and write its pain.001.001.09")
    check.add_argument("file", type=Path, metavar="FILE", help="the payment file (CSV, UTF-8)")
    check.add_argument("--sender", required=True, metavar="ID", help="the sender id, e.g. acme-payroll")
    check.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, metavar="REF.json",
                       help=f"reference table (default: {DEFAULT_REFERENCE})")  # fmt: skip
    check.add_argument(
        "--out", type=Path, metavar="OUT.xml",
        help="output (default: <stem of FILE>.pain001.xml in the current folder, never beside FILE)",
    )
    check.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    check.add_argument("--status-report", type=Path, metavar="OUT.xml",
                       help="also write the pain.002.001.10 status report the sender would get")
    check.add_argument("--today", type=_bank_date, default=None, metavar="YYYY-MM-DD",
                       help="the bank's date to check the execution dates against "
                            "(default: PIPELINE_TODAY, else the clock's, as in the functions)")  # fmt: skip
    # For tests: pin CreDtTm.
    check.add_argument("--creation-time", type=datetime.fromisoformat, default=None, help=argparse.SUPPRESS)
    return parser


def _bank_date(text: str) -> date:
    try:
        pinned = parse_pipeline_today(text)
    except ConfigurationError:
        pinned = None
    if pinned is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD")
    return pinned


def _clock() -> SystemClock:
    """The functions' own clock, with `PIPELINE_TODAY` honoured the same way."""
    try:
        return clock_from_environment(os.environ)
    except ConfigurationError as exc:
        raise UsageError(str(exc)) from None


def _load_reference(path: Path) -> ReferenceTable:
    try:
        return parse_reference_table(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read the reference table {path}: {exc.strerror or exc}") from None
    except ReferenceTableError as exc:
        raise UsageError(f"{path}: {exc}") from None


def _file_id(path: Path, sender: str) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return make_file_id(f"{sender}/{path.name}", digest.hexdigest())


def check(args: argparse.Namespace) -> int:
    """The `check` command; returns the exit code."""
    reference = _load_reference(args.reference)
    blob_path = f"{args.sender}/{args.file.name}"
    try:
        sender_from_blob_path(blob_path)
    except ValueError as exc:
        raise UsageError(f"--sender {args.sender!r}: {exc}") from None
    file_id = _file_id(args.file, args.sender)
    # Not beside FILE: a dry run inside samples/incoming/ would leave an XML the stack then takes as a sample.
    out: Path = args.out or Path.cwd() / f"{args.file.stem}.pain001.xml"
    creation_time = (args.creation_time or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    result = _run(args.file, out, blob_path=blob_path, file_id=file_id, reference=reference,
                  today=args.today or _clock().today(), creation_time=creation_time)  # fmt: skip
    if args.status_report:
        _status_report(args, result, file_id=file_id, blob_path=blob_path, ended_at=creation_time)
    if not result.valid:
        print(json.dumps(result.to_report(), ensure_ascii=False, indent=2))
        return EXIT_REJECTED
    summary: dict[str, Any] = {
        "state": "valid",
        "output": str(out),
        "nb_of_txs": result.row_count,
        "ctrl_sum": format(result.control_sum, "f"),
        "msg_id": make_msg_id(file_id),
        "warnings": result.warnings_report(),
        "warning_count": result.warning_count,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"valid: {summary['nb_of_txs']} payments, control sum {summary['ctrl_sum']}, "
              f"MsgId {summary['msg_id']}; pain.001.001.09 written to {out}")  # fmt: skip
        for warning in result.warnings:
            print(f"warning: {warning.message}" + (f" (on {warning.rows} rows)" if warning.rows > 1 else ""))
    return EXIT_VALID


def _status_report(args: argparse.Namespace, result: ValidationResult, *, file_id: str, blob_path: str,
                   ended_at: datetime) -> None:
    # stderr, so stdout stays the report or the --json line it always was
    try:
        write_status_report(dry_run_facts(result, args.file, file_id=file_id, blob_path=blob_path,
                                          ended_at=ended_at), args.status_report)
    except OSError as exc:
        raise UsageError(f"cannot write {args.status_report}: {exc.strerror or exc}") from None
    print(f"pain.002.001.10 status report written to {args.status_report}", file=sys.stderr)


def _run(
    source: Path, out: Path, *, blob_path: str, file_id: str, reference: ReferenceTable, today: date,
    creation_time: datetime,
) -> ValidationResult:  # fmt: skip
    # Write next to the target and rename, so a rejected file or a crash never leaves a partial OUT.
    try:
        staged = tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False)  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        with staged, source.open("rb") as stream:
            result = run_offline(
                stream, blob_path=blob_path, file_id=file_id, reference=reference, today=today,
                creation_time=creation_time, out=cast(BinaryIO, staged),
            )  # fmt: skip
        if result.valid:
            os.chmod(staged.name, 0o666 & ~_umask())  # a temporary file is 0600; OUT is an ordinary file
            os.replace(staged.name, out)
        return result
    except OSError as exc:
        raise UsageError(f"cannot read {source} or write {out}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(staged.name):
            os.unlink(staged.name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 with argparse's usage message on bad arguments
    try:
        return check(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug: say so in one line instead of a traceback
        print(f"internal error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
