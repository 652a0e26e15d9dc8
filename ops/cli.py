"""`python -m ops [--target local|azd] [--env NAME] COMMAND`: the operator's tools, one front end.

  status FILE_ID          a file's timeline and what to do about it (the same as GET /api/files/{file_id})
  list [--all]            files in flight (workflow/open/), or every file with a timeline
  drop FILE [--sender ID] upload a file to incoming/<sender>/ and follow its journey
  deadletters [FILE_ID]   the dead-letter queues (peeked) and the archive, newest first (alias: dlq)
  replay FILE_ID          re-send its archived dead-lettered message after a fix (once, unless --force)
  report FILE_ID          re-make its pain.002 status report from the stored ending
  reference [FILE]        check a reference table and upload it (default: samples/reference-table.json)
  smoke                   drop a generated file and wait for it to be delivered (exit 0) or not (exit 1)

`--target local` (default) uses the running local stack (`make run`: its `.localdev/stack.json`, or the
PaymentsStorage/ServiceBusConnection settings); `--target azd` uses the azd environment's values
(`.azure/<env>/.env`) and your Entra ID sign-in (`az login` or `azd auth login`, DefaultAzureCredential).
Exit codes: 0 done, 1 not found (or the file did not end as hoped), 2 a request to change, 3 unreachable.
"""

from __future__ import annotations

import argparse
import sys

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.servicebus.exceptions import ServiceBusError

from localdev.stack.processes import StackError
from ops.azd_env import AzdEnvironmentError
from ops.commands import Command, add_commands
from ops.errors import EXIT_UNREACHABLE, EXIT_USAGE, OpsError
from ops.target import resolve
from shared.contracts.timeline import TimelineError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=("local", "azd"), default="local")
    parser.add_argument("--env", help="azd environment name (default: azd's default environment)")
    add_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Command = args.run
    try:
        return command(resolve(args.target, args.env), args)
    except BrokenPipeError:  # `python -m ops list --all | head`
        return 0
    except KeyboardInterrupt:  # Ctrl-C while `drop` follows a file: it carries on without us
        print(f"ops {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure is one line in the operator's words, never a traceback
        message, code = _explain(exc, args.target)
        print(f"ops {args.command}: {message}", file=sys.stderr)
        return code


def _explain(exc: Exception, target: str) -> tuple[str, int]:
    """The one-line message and exit code for a failure; anything unforeseen is re-raised (a bug)."""
    if isinstance(exc, OpsError):
        return str(exc), exc.exit_code
    if isinstance(exc, StackError | AzdEnvironmentError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, TimelineError):  # a stored record this version cannot read: say which
        return str(exc), EXIT_UNREACHABLE
    if isinstance(exc, ClientAuthenticationError):
        return (f"could not sign in to {target}: {exc.message}. Run `az login` (or `azd auth login`) with an "
                "identity that has the data roles main.bicep grants the azd principal."), EXIT_UNREACHABLE
    if isinstance(exc, ServiceRequestError | HttpResponseError | ServiceBusError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"storage or Service Bus refused or did not answer: {first}", EXIT_UNREACHABLE
    raise exc
