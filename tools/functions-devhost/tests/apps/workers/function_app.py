"""Fixture app for `--workers N`: a blob trigger, a Service Bus queue trigger and an HTTP route.

Each function reports what it handled and the pid of the process that ran it to the Storage queue
`fx-w-seen`, so tests can count how often each blob and message ran, and in which worker process.
"""

from __future__ import annotations

import json
import os

import azure.functions as func

app = func.FunctionApp()


@app.function_name("WBlob")
@app.blob_trigger(arg_name="blob", path="fx-w-in/{name}", connection="FixtureStorage")
@app.queue_output(arg_name="seen", queue_name="fx-w-seen", connection="FixtureStorage")
def w_blob(blob: func.InputStream, seen: func.Out[str]) -> None:
    seen.set(json.dumps({"fn": "WBlob", "name": blob.name, "pid": os.getpid()}))


@app.function_name("WServiceBus")
@app.service_bus_queue_trigger(arg_name="msg", queue_name="fx-sb", connection="FixtureServiceBus")
@app.queue_output(arg_name="seen", queue_name="fx-w-seen", connection="FixtureStorage")
def w_service_bus(msg: func.ServiceBusMessage, seen: func.Out[str]) -> None:
    report = {"fn": "WServiceBus", "message_id": msg.message_id, "delivery_count": msg.delivery_count}
    seen.set(json.dumps({**report, "pid": os.getpid()}))


@app.function_name("WPid")
@app.route(route="pid", auth_level=func.AuthLevel.ANONYMOUS)
def w_pid(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(os.getpid()))
