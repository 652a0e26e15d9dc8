"""Each `python -m ops` command: its arguments and the function that runs it against a target.

The commands themselves live one per module (ops/status.py, ops/drop.py, ...); this is the one list of
them: each sub-parser carries its command as `run`, so an alias (`dlq`) runs the same function.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ops.deadletters import deadletters
from ops.drop import drop
from ops.reference import DEFAULT, reference
from ops.replay import replay_command
from ops.report import report
from ops.smoke import smoke
from ops.status import listing, status
from ops.target import Target

Command = Callable[[Target, argparse.Namespace], int]
FILE_ID = "e.g. acme-payroll.2028-01-14-payroll.7a7878f3 (`list --all` shows them)"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add every command's sub-parser to `commands` (what `add_subparsers` returns)."""
    parser: argparse.ArgumentParser = commands.add_parser("status", help="a file's timeline")
    parser.set_defaults(run=status)
    parser.add_argument("file_id", help=FILE_ID)
    parser.add_argument("--json", action="store_true", help="print the status JSON, as the HTTP API does")
    parser = commands.add_parser("list", help="file ids with their states")
    parser.set_defaults(run=listing)
    parser.add_argument("--all", action="store_true", help="every file with a timeline, not only in flight")
    parser = commands.add_parser("drop", help="upload a file and follow it")
    parser.set_defaults(run=drop)
    parser.add_argument("file", type=Path)
    parser.add_argument("--sender", help="sender id (default: the file's folder, if it is a known sender)")
    parser.add_argument("--no-wait", action="store_true", help="upload and return without following it")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to follow it (default 120)")
    parser = commands.add_parser("deadletters", aliases=["dlq"], help="dead-letter queues and archive")
    parser.set_defaults(run=deadletters)
    parser.add_argument("file_id", nargs="?", help="only this file's messages and archive entries")
    parser.add_argument("--live", action="store_true", help="only the dead-letter queues, not the archive")
    parser = commands.add_parser("replay", help="re-send an archived dead-lettered message")
    parser.set_defaults(run=replay_command)
    parser.add_argument("file_id", help=FILE_ID)
    parser.add_argument("--entity", help="the entity it was dead-lettered from, when there are several")
    parser.add_argument("--force", action="store_true", help="replay again although it was replayed before")
    parser = commands.add_parser("report", help="re-make a file's pain.002 from its stored ending")
    parser.set_defaults(run=report)
    parser.add_argument("file_id", help=FILE_ID)
    parser.add_argument("--force", action="store_true", help="write it even if a report is there")
    parser = commands.add_parser("reference", help="check and upload a reference table")
    parser.set_defaults(run=reference)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT,
                        help="the table to upload (default: samples/reference-table.json)")  # fmt: skip
    parser = commands.add_parser("smoke", help="drop a generated file and wait for it to be delivered")
    parser.set_defaults(run=smoke)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--today", type=date.fromisoformat, help="the bank's date, when the target pins one")
