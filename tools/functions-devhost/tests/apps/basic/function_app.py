"""Fixture app for devhost tests: each function reports what it received through an output binding.

Reports go to the Storage queue `fx-seen` as JSON, so tests observe the real objects the devhost built.
A name or body containing "fail" makes a function raise, to exercise retries and poison handling.
"""

from __future__ import annotations

import json

import azure.functions as func
from azurefunctions.extensions.bindings.blob import BlobClient

app = func.FunctionApp()


@app.function_name("BlobEcho")
@app.blob_trigger(arg_name="blob", path="fx-in/{sender}/{name}", connection="FixtureStorage")
@app.queue_output(arg_name="seen", queue_name="fx-seen", connection="FixtureStorage")
def blob_echo(blob: func.InputStream, seen: func.Out[str], context: func.Context) -> None:
    if "fail" in (blob.name or ""):
        raise RuntimeError(f"fixture failure for {blob.name}")
    seen.set(
        json.dumps(
            {
                "fn": context.function_name,
                "name": blob.name,
                "length": blob.length,
                "uri": blob.uri,
                "body": blob.read().decode("utf-8"),
                "etag": (blob.blob_properties or {}).get("ETag"),
            }
        )
    )


@app.function_name("BlobClientEcho")
@app.blob_trigger(arg_name="client", path="fx-sdk/{name}", connection="FixtureStorage")
@app.queue_output(arg_name="seen", queue_name="fx-seen", connection="FixtureStorage")
def blob_client_echo(client: BlobClient, seen: func.Out[str]) -> None:
    # An SDK-type parameter: the devhost passes where the blob is, and the client reads it.
    seen.set(json.dumps({"fn": "BlobClientEcho", "type": type(client).__name__,
                         "container": client.container_name, "name": client.blob_name,
                         "body": client.download_blob().readall().decode("utf-8")}))


@app.function_name("PoisonWatcher")
@app.queue_trigger(arg_name="msg", queue_name="webjobs-blobtrigger-poison", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="seen", queue_name="fx-seen", connection="FixtureStorage")
def poison_watcher(msg: func.QueueMessage, seen: func.Out[str]) -> None:
    seen.set(
        json.dumps({"fn": "PoisonWatcher", "poison": msg.get_json(), "dequeue_count": msg.dequeue_count})
    )


@app.function_name("QueueWork")
@app.queue_trigger(arg_name="msg", queue_name="fx-work", connection="FixtureStorage")
@app.queue_output(arg_name="seen", queue_name="fx-seen", connection="FixtureStorage")
def queue_work(msg: func.QueueMessage, seen: func.Out[str]) -> None:
    body = msg.get_body().decode("utf-8")
    if "fail" in body:
        raise ValueError(f"fixture failure for {body}")
    seen.set(json.dumps({"fn": "QueueWork", "body": body, "dequeue_count": msg.dequeue_count}))


@app.function_name("Hello")
@app.route(route="hello/{who}", methods=["GET", "POST"], auth_level=func.AuthLevel.FUNCTION)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    payload = {
        "who": req.route_params.get("who"),
        "q": req.params.get("q"),
        "method": req.method,
        "body": req.get_body().decode("utf-8"),
    }
    return func.HttpResponse(json.dumps(payload), mimetype="application/json", status_code=201)


@app.function_name("AsyncBoom")
@app.route(route="boom", auth_level=func.AuthLevel.ANONYMOUS)
async def async_boom(req: func.HttpRequest) -> func.HttpResponse:
    if req.params.get("fail"):
        raise RuntimeError("fixture http failure")
    return func.HttpResponse("async ok")
