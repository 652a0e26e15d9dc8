"""The operator tools' own errors, each with the exit code `python -m ops` returns for it: 1 when the thing
asked about is not there (a file id without a timeline or an ending, a file without a dead-letter
archive), 2 when the request cannot be done as given (the operator must change it). Unreachable storage or
Service Bus (exit 3) is the SDK's own error, mapped in ops/cli.py."""

from __future__ import annotations

EXIT_NOT_FOUND, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


class OpsError(Exception):
    """A request the operator must change; the message says how."""

    exit_code = EXIT_USAGE


class NotFoundError(OpsError):
    """What was asked about is not there; the message says where to look."""

    exit_code = EXIT_NOT_FOUND
