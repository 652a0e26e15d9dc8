"""Admin CLI over the emulator's health/admin HTTP port.

    python -m servicebus_emulator.admin [--url http://127.0.0.1:5300] entities
    python -m servicebus_emulator.admin peek file-validated/$DeadLetterQueue [--count 20]
    python -m servicebus_emulator.admin purge file-validated
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote


def request(url: str, method: str = "GET") -> Any:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def _table(rows: list[dict[str, Any]]) -> str:
    header = f"{'entity':<60} {'active':>8} {'dlq':>8} {'scheduled':>10} {'deferred':>9}"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(f"{row['entity']:<60} {row['active']:>8} {row['deadletter']:>8} "
                     f"{row['scheduled']:>10} {row['deferred']:>9}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicebus_emulator.admin")
    parser.add_argument("--url", default="http://127.0.0.1:5300", help="the emulator's health/admin port")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("entities", help="active, dead-letter, scheduled and deferred counts")
    peek = commands.add_parser("peek", help="show messages without locking them")
    peek.add_argument("entity", help="queue, topic/Subscriptions/sub, optionally /$DeadLetterQueue")
    peek.add_argument("--count", type=int, default=10)
    purge = commands.add_parser("purge", help="delete every message of an entity")
    purge.add_argument("entity")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    try:
        if args.command == "entities":
            print(_table(request(f"{base}/admin/entities")))
        elif args.command == "peek":
            print(json.dumps(request(f"{base}/admin/peek?entity={quote(args.entity)}&count={args.count}"),
                             indent=2))
        else:
            result = request(f"{base}/admin/purge?entity={quote(args.entity)}", method="POST")
            print(f"purged {result['purged']} messages from {result['entity']}")
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read().decode("utf-8") or "{}").get("error", exc.reason)
        print(f"error: {detail}", file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"error: cannot reach the emulator at {base} ({exc.reason}); is it running with a health port?",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
