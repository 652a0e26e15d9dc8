"""The devhost against a real Azurite: blob receipts and poison, queue dequeue counts and poison, HTTP."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient
from azurite_launcher import Azurite
from devhost_fixtures import QueueWatcher, copy_app, start_devhost
from functions_devhost.testing import DevhostProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def host(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevhostProcess]:
    folder = tmp_path_factory.mktemp("basic")
    process = start_devhost(copy_app("basic", folder), azurite, folder)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def seen(azurite: Azurite) -> QueueWatcher:
    return QueueWatcher(azurite.connection_string, "fx-seen")


def upload(azurite: Azurite, name: str, data: bytes, container_name: str = "fx-in") -> str:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.get_container_client(container_name)
    if not container.exists():
        container.create_container()
    return str(container.get_blob_client(name).upload_blob(data)["etag"])


def test_blob_trigger_gets_the_hosts_input_stream_and_writes_a_receipt(
    host: DevhostProcess, azurite: Azurite, seen: QueueWatcher
) -> None:
    name = f"acme/{uuid.uuid4().hex}.csv"
    etag = upload(azurite, name, b"a,b\n1,2\n")
    report = seen.wait_for(lambda r: r.get("name") == f"fx-in/{name}")
    assert report["fn"] == "BlobEcho"
    assert report["length"] == 8 and report["body"] == "a,b\n1,2\n"
    assert report["uri"].endswith(f"/fx-in/{name}") and report["etag"] == etag
    receipts = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        "azure-webjobs-hosts"
    )
    receipt = receipts.get_blob_client(
        f"blobreceipts/fixturehost/Host.Functions.BlobEcho/{etag}/fx-in/{name}"
    )
    # Written by the next scan that still lists the blob (a blob the function deleted needs none).
    deadline = time.monotonic() + 10
    while not receipt.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert receipt.get_blob_properties().metadata["Completed"] == "true"


def test_an_sdk_typed_blob_parameter_gets_a_client_for_the_blob(
    host: DevhostProcess, azurite: Azurite, seen: QueueWatcher
) -> None:
    name = f"acme/{uuid.uuid4().hex}.csv"
    upload(azurite, name, b"x,y\n", container_name="fx-sdk")
    report = seen.wait_for(lambda r: r.get("fn") == "BlobClientEcho" and r.get("name") == name)
    assert report == {"fn": "BlobClientEcho", "type": "BlobClient", "container": "fx-sdk", "name": name,
                      "body": "x,y\n"}


def test_failing_blob_goes_to_the_poison_queue_after_the_threshold(
    host: DevhostProcess, azurite: Azurite, seen: QueueWatcher
) -> None:
    name = f"acme/fail-{uuid.uuid4().hex}.csv"
    etag = upload(azurite, name, b"x")
    report = seen.wait_for(lambda r: r.get("fn") == "PoisonWatcher" and r["poison"]["BlobName"] == name)
    assert report["poison"] == {
        "Type": "BlobTrigger",
        "FunctionId": "Host.Functions.BlobEcho",
        "BlobType": "BlockBlob",
        "ContainerName": "fx-in",
        "BlobName": name,
        "ETag": etag,
    }
    assert report["dequeue_count"] == 1
    log = Path(host.log_path).read_text()
    assert log.count(f"[file=fx-in/{name}]") >= 3 * 2  # 3 attempts, an Executing and an Executed line each
    assert f"RuntimeError: fixture failure for fx-in/{name}" in log


def test_queue_trigger_sees_dequeue_count_and_poisons_after_max(
    host: DevhostProcess, azurite: Azurite, seen: QueueWatcher
) -> None:
    work = QueueClient.from_connection_string(azurite.connection_string, "fx-work")
    ok, bad = f"ok-{uuid.uuid4().hex}", f"fail-{uuid.uuid4().hex}"
    for body in (ok, bad):
        work.send_message(base64.b64encode(body.encode()).decode())
    assert seen.wait_for(lambda r: r.get("body") == ok)["dequeue_count"] == 1
    poison = QueueClient.from_connection_string(azurite.connection_string, "fx-work-poison")
    deadline = time.monotonic() + 20
    bodies: list[str] = []
    while time.monotonic() < deadline and bad not in bodies:
        bodies += [base64.b64decode(m.content).decode() for m in poison.receive_messages()]
        time.sleep(0.2)
    assert bad in bodies
    assert (
        Path(host.log_path)
        .read_text()
        .count(f"Result: Failure Exception: ValueError: fixture failure for {bad}")
        == 3
    )


def _http(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_http_routes_params_methods_and_errors(host: DevhostProcess) -> None:
    status, body = _http(f"{host.base_url}/api/hello/ada?q=1", data=b"hi")
    assert status == 201
    assert json.loads(body) == {"who": "ada", "q": "1", "method": "POST", "body": "hi"}
    assert _http(f"{host.base_url}/api/boom") == (200, b"async ok")
    assert _http(f"{host.base_url}/api/boom?fail=1")[0] == 500
    assert _http(f"{host.base_url}/api/nowhere")[0] == 404
