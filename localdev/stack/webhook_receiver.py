"""A webhook receiver on loopback, for trying FileNotifier locally and for its tests.

`python -m localdev.webhook_receiver [--port 8099] [--out notifications.jsonl]` prints one line per
notification and appends it to OUT; start the stack with `NOTIFIER_WEBHOOK_URL=http://127.0.0.1:8099/`.
A redelivered notification (the same `Idempotency-Key`) is counted, not recorded twice: what a real
receiver should do. `--fail N` answers 500 to the first N posts, to watch the notifier retry.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


class WebhookReceiver:
    """Serves POST / on loopback in a thread; `received` holds each distinct notification once."""

    def __init__(self, port: int = 0, out: Path | None = None, fail: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.posts = 0
        self.out = out
        self.fail = fail
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOOPBACK, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver",
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}/"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accept(self, key: str, body: bytes) -> int:
        """The status to answer: 500 while `fail` lasts, else 204 after recording a new notification."""
        with self._lock:
            self.posts += 1
            if self.fail > 0:
                self.fail -= 1
                return 500
            if key and key in self._keys:
                return 204
            self._keys.add(key)
            notification = json.loads(body)
            self.received.append(notification)
        line = json.dumps(notification)
        print(f"notified: {notification.get('state')} {notification.get('file_id')}", flush=True)
        if self.out is not None:
            with self.out.open("a", encoding="utf-8") as stream:
                stream.write(line + "\n")
        return 204

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    status = receiver.accept(self.headers.get("Idempotency-Key", ""), body)
                except ValueError:
                    status = 400  # not JSON: the notifier's bug, worth seeing
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return  # one line per notification is printed by accept(); no access log

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.webhook_receiver",
                                     description="Receive FileNotifier's webhooks on loopback.")
    parser.add_argument("--port", type=int, default=8099, help="port on 127.0.0.1 (default 8099)")
    parser.add_argument("--out", type=Path, help="append each notification to this JSON-lines file")
    parser.add_argument("--fail", type=int, default=0, metavar="N", help="answer 500 to the first N posts")
    args = parser.parse_args(argv)
    receiver = WebhookReceiver(args.port, args.out, args.fail).start()
    print(f"listening on {receiver.url}: start the stack with NOTIFIER_WEBHOOK_URL={receiver.url}",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
