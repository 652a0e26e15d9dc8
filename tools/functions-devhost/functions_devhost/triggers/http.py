"""HTTP triggers served like `func start`: `http://localhost:<port>/api/<route>`, plus `/admin/host/status`.

Route parameters, methods and the route prefix are honoured. Auth levels are shown in the route table but,
as under `func start`, no keys are needed locally. A function's exception becomes a 500, as in Azure.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
from azure.functions import meta

from functions_devhost.errors import DevhostError
from functions_devhost.indexer import IndexedFunction
from functions_devhost.invoker import Invocation, Invoker
from functions_devhost.triggers.http_routes import Route, compile_route

log = logging.getLogger("devhost.http")


class HttpServer:
    """One server for every HTTP-triggered function, always running so tools can probe host status."""

    def __init__(
        self, functions: list[IndexedFunction], invoker: Invoker, host: str, port: int, route_prefix: str
    ) -> None:
        self._functions = {f.name: f for f in functions}
        self._invoker = invoker
        self.routes = [
            compile_route(
                f.name,
                f.trigger.get("route"),
                route_prefix,
                f.trigger.get("methods"),
                str(f.trigger.get("authLevel", "FUNCTION")),
            )
            for f in functions
        ]
        handler = type("Handler", (_Handler,), {"server_ref": self})
        try:
            self._server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise DevhostError(
                f"Cannot listen on {host}:{port} ({exc.strerror}). Another host (func start or a devhost) "
                "may be running; stop it or pass --port with a free port."
            ) from None
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, grace_seconds: float) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=grace_seconds)

    def dispatch(
        self, method: str, raw_url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(raw_url).path.strip("/")
        if path == "admin/host/status":
            return 200, {"Content-Type": "application/json"}, json.dumps({"state": "Running"}).encode()
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return self._call(
                    route=route, params=params, method=method, raw_url=raw_url, headers=headers, body=body
                )
        return 404, {"Content-Type": "text/plain"}, b"Not Found"

    def _call(
        self,
        *,
        route: Route,
        params: dict[str, str],
        method: str,
        raw_url: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        function = self._functions[route.function_name]
        invocation = Invocation(
            data=_request_datum(method, raw_url, headers, params, body),
            metadata={},
            reason=f"This function was programmatically called via the host APIs ({method} {route.template})",
            file_id=params.get("file_id", ""),
        )
        result = self._invoker.invoke(function, invocation)
        if not result.succeeded:
            return 500, {"Content-Type": "text/plain"}, b"Internal Server Error"
        return _response(result.value)


def _request_datum(
    method: str, raw_url: str, headers: dict[str, str], params: dict[str, str], body: bytes
) -> meta.Datum:
    """The worker's `http` Datum, which the library's HttpRequest converter decodes."""
    url = f"http://{headers.get('Host', 'localhost')}{raw_url}"
    query = dict(parse_qsl(urlsplit(raw_url).query, keep_blank_values=True))
    strings = {
        "headers": {k.lower(): v for k, v in headers.items()}, "query": query, "params": params,
    }  # fmt: skip
    value: dict[str, Any] = {name: {k: meta.Datum(v, "string") for k, v in items.items()}
                             for name, items in strings.items()}  # fmt: skip
    value.update(
        method=meta.Datum(method, "string"), url=meta.Datum(url, "string"), body=meta.Datum(body, "bytes")
    )
    return meta.Datum(value, "http")


def _response(value: Any) -> tuple[int, dict[str, str], bytes]:
    if isinstance(value, func.HttpResponse):
        headers = dict(value.headers)
        headers.setdefault("Content-Type", f"{value.mimetype}; charset={value.charset}")
        return value.status_code, headers, value.get_body()
    if value is None:
        return 204, {}, b""
    text = value if isinstance(value, str | bytes) else json.dumps(value)
    return (
        200,
        {"Content-Type": "text/plain; charset=utf-8"},
        text.encode() if isinstance(text, str) else text,
    )


class _Handler(BaseHTTPRequestHandler):
    server_ref: HttpServer
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server_ref.dispatch(self.command, self.path, dict(self.headers), body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)
