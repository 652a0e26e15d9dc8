"""`python -m ops [--target local|azd] [--env NAME] COMMAND`: the operator's tools, one place.

  status FILE_ID        a file's timeline (the same as GET /api/files/{file_id})
  list [--all]          files in flight (workflow/open/), or every file with a timeline
  replay FILE_ID        re-send its archived dead-lettered message after a fix (once, unless --force)
  deadletters [FILE_ID] the dead-letter archive, newest first; --live peeks the dead-letter queues
  smoke                 drop a generated file and wait for it to be delivered (exit 0) or not (exit 1)

`--target local` (default) uses the running local stack; `--target azd` uses the azd environment's values
(`.azure/<env>/.env`) and your Entra ID sign-in (`az login` or `azd auth login`, DefaultAzureCredential).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from localdev.stack.processes import StackError
from ops.azd_env import AzdEnvironmentError
from ops.target import Target, resolve
from shared.contracts.timeline import TimelineError

EXIT_USAGE, EXIT_UNREACHABLE = 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=("local", "azd"), default="local")
    parser.add_argument("--env", help="azd environment name (default: azd's default environment)")
    commands = parser.add_subparsers(dest="command", required=True)
    status = commands.add_parser("status")
    status.add_argument("file_id")
    status.add_argument("--json", action="store_true")
    listing = commands.add_parser("list")
    listing.add_argument("--all", action="store_true", help="every file with a timeline, not only in flight")
    replay = commands.add_parser("replay")
    replay.add_argument("file_id")
    replay.add_argument("--entity")
    replay.add_argument("--force", action="store_true")
    dead = commands.add_parser("deadletters")
    dead.add_argument("file_id", nargs="?")
    dead.add_argument("--live", action="store_true", help="peek the dead-letter queues themselves")
    smoke = commands.add_parser("smoke")
    smoke.add_argument("--timeout", type=float, default=300.0)
    smoke.add_argument("--today", type=date.fromisoformat, help="the bank's date, when the target pins one")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        target = resolve(args.target, args.env)
        return _COMMANDS[args.command](target, args)
    except (StackError, AzdEnvironmentError) as exc:
        print(f"ops: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TimelineError as exc:  # a stored record this version cannot read: say which, never a traceback
        print(f"ops: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except ClientAuthenticationError as exc:
        print(f"ops: could not sign in to {args.target}: {exc.message}. Run `az login` (or `azd auth "
              "login`) with an identity that has the data roles main.bicep grants the azd principal.",
              file=sys.stderr)
        return EXIT_UNREACHABLE
    except (ServiceRequestError, HttpResponseError) as exc:
        print(f"ops: storage or Service Bus refused or did not answer: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE


def _status(target: Target, args: argparse.Namespace) -> int:
    from localdev.stack.status_cli import format_timeline
    from shared.adapters.azure_blob import AzureBlobStore
    from shared.handlers.status import file_status

    status = file_status(AzureBlobStore(target.blob_service), args.file_id)
    if status is None:
        print(f"ops: {target.name} has no timeline for {args.file_id!r}; `python -m ops list --all` shows "
              "the file ids", file=sys.stderr)
        return 1
    print(json.dumps(status, indent=2, default=str) if args.json else format_timeline(status))
    return 0


def _list(target: Target, args: argparse.Namespace) -> int:
    from localdev.stack.status_cli import list_files
    from shared.adapters.azure_blob import AzureBlobStore
    from shared.handlers.status import file_status
    from shared.topology import WORKFLOW_CONTAINER

    store = AzureBlobStore(target.blob_service)
    open_names = [] if args.all else list(store.list_names(WORKFLOW_CONTAINER, "open/"))
    ids = (list_files(target.blob_service) if args.all else
           [n.removeprefix("open/").removesuffix(".json") for n in open_names])
    for file_id in ids:
        found = file_status(store, file_id)
        print(f"{file_id:<60} {found['state'] if found else '?'}")
    if not ids:
        print(f"no file {'has a timeline' if args.all else 'is in flight'} in {target.name}", file=sys.stderr)
    return 0


def _replay(target: Target, args: argparse.Namespace) -> int:
    from localdev.stack.replay import replay

    print(replay(target.blob_service, target.service_bus(), args.file_id, args.entity, args.force))
    print(f"Follow it with `python -m ops --target {args.target} status {args.file_id}`.")
    return 0


def _deadletters(target: Target, args: argparse.Namespace) -> int:
    from ops.deadletters import archived, peek_live

    if args.live:
        for row in peek_live(target):
            print(f"{row['entity']:<48} {row['file_id'] or '?':<48} {row['reason'] or ''}")
        return 0
    for failure in archived(target.blob_service, args.file_id):
        print(f"{failure.archived_at:<28} {failure.file_id:<48} {failure.entity:<32} {failure.reason}")
        if failure.error:
            print(f"{'':<28} {failure.error}")
    return 0


def _smoke(target: Target, args: argparse.Namespace) -> int:
    from ops.smoke import run_smoke

    print(f"smoke: dropping a generated file into {target.name} ...")
    result = run_smoke(target, timeout=args.timeout, today=args.today)
    print(f"smoke: {result.file_id} -> {result.state} in {result.seconds:.1f} s"
          + (f" ({result.evidence})" if result.evidence else ""))
    return 0 if result.passed else 1


_COMMANDS = {"status": _status, "list": _list, "replay": _replay, "deadletters": _deadletters,
             "smoke": _smoke}
