"""The HTTP side port: `GET /health` (as Microsoft's emulator serves on :5300) plus a small admin API.

`GET /health` → 200 `{"status": "healthy"}` once the AMQP listener is up.
`GET /admin/entities` → active, dead-letter, scheduled and deferred counts per entity.
`GET /admin/peek?entity=<path>&count=N` → the first N messages (sequence number, id, state, properties).
`POST /admin/purge?entity=<path>` → removes every message of that entity, returns how many.
`GET /admin/stats` → open and peak AMQP connection counts.
All state is read on the loop thread through `EmulatorServer.call`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from servicebus_emulator.entities import Message, Namespace
from servicebus_emulator.errors import EmulatorError
from servicebus_emulator.server import EmulatorServer


def _peek(ns: Namespace, entity: str, count: int) -> list[dict[str, Any]]:
    return [_describe(m) for m in ns.receivable(entity).peek(0, count)]


def _purge(ns: Namespace, entity: str) -> int:
    return ns.receivable(entity).purge()  # committed by the loop before its next write


def _describe(message: Message) -> dict[str, Any]:
    return {
        "sequenceNumber": message.sequence_number,
        "messageId": message.message_id,
        "state": message.state.name.lower(),
        "deliveryCount": message.delivery_count,
        "enqueuedTime": message.enqueued_time.isoformat(),
        "locked": message.lock_token is not None,
        "properties": {k: v if isinstance(v, int | float | str | bool) else str(v)
                       for k, v in message.properties.items()},
        "sizeBytes": len(message.payload),
    }


class _Handler(BaseHTTPRequestHandler):
    server_version = "servicebus-emulator"
    emulator: EmulatorServer

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        ns = self.emulator.broker.ns
        if url.path == "/health":
            self._reply(200, {"status": "healthy"})
        elif url.path == "/admin/entities":
            self._run(ns.summary)
        elif url.path == "/admin/stats":
            state = self.emulator.broker.state
            self._run(lambda: {"connections": len(state.connections),
                               "peakConnections": state.peak_connections})
        elif url.path == "/admin/peek":
            self._run(lambda: _peek(ns, _entity(query), int(query.get("count", ["10"])[0])))
        else:
            self._reply(404, {"error": f"unknown path {url.path}; try /health or /admin/entities"})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        if url.path != "/admin/purge":
            self._reply(404, {"error": f"unknown path {url.path}; POST /admin/purge?entity=<path>"})
            return
        ns, query = self.emulator.broker.ns, parse_qs(url.query)
        self._run(lambda: {"entity": _entity(query), "purged": _purge(ns, _entity(query))})

    def _run(self, action: Any) -> None:
        try:
            self._reply(200, self.emulator.call(action))
        except EmulatorError as exc:
            self._reply(exc.status, {"error": exc.description, "condition": exc.condition})
        except ValueError as exc:
            self._reply(400, {"error": str(exc)})

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body, indent=1).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # health probes would flood the console


def _entity(query: dict[str, list[str]]) -> str:
    values = query.get("entity")
    if not values or not values[0]:
        raise ValueError("missing ?entity=<queue | topic/Subscriptions/sub>[/$DeadLetterQueue]")
    return values[0]


class HealthServer:
    """Serves the health and admin API on its own daemon thread."""

    def __init__(self, emulator: EmulatorServer, host: str, port: int) -> None:
        handler = type("BoundHandler", (_Handler,), {"emulator": emulator})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="emulator-health", daemon=True)

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
