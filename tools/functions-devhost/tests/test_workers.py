"""`--workers 2` against a real Azurite and the emulator: each blob and each Service Bus message runs once,
both processes take work, HTTP is served, and stopping (or losing the supervisor) leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from azure.storage.blob import BlobServiceClient
from azurite_launcher import Azurite
from devhost_fixtures import QueueWatcher, copy_app, start_devhost
from functions_devhost import __main__ as devhost_main
from functions_devhost.supervisor import configured_worker_count, in_partition
from functions_devhost.testing import DevhostProcess
from servicebus_emulator.testing import EmulatorProcess

BLOBS = 40
MESSAGES = 40


def test_every_blob_has_exactly_one_owner() -> None:
    names = [f"acme/file-{n:04d}.csv" for n in range(500)]
    for count in (1, 2, 3):
        owners = [[i for i in range(count) if in_partition("incoming", name, i, count)] for name in names]
        assert all(len(found) == 1 for found in owners)
        assert {found[0] for found in owners} == set(range(count))


def test_worker_count_setting_from_environment_or_local_settings(tmp_path: Path) -> None:
    assert configured_worker_count(tmp_path, {}) is None
    (tmp_path / "local.settings.json").write_text('{"Values": {"FUNCTIONS_WORKER_PROCESS_COUNT": "3"}}')
    assert configured_worker_count(tmp_path, {}) == 3
    assert configured_worker_count(tmp_path, {"FUNCTIONS_WORKER_PROCESS_COUNT": "2"}) == 2
    (tmp_path / "local.settings.json").write_text("{not json")
    assert configured_worker_count(tmp_path, {}) is None


def _start(azurite: Azurite, emulator: EmulatorProcess, folder: Path) -> DevhostProcess:
    return start_devhost(
        copy_app("workers", folder), azurite, folder, workers=2, FixtureServiceBus=emulator.connection_string
    )


def _workers(host: DevhostProcess, count: int = 2, timeout: float = 30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = psutil.Process(host.pid).children()
        if len(children) == count and f"[w{count - 1}]" in Path(host.log_path).read_text():
            return [child.pid for child in children]
        time.sleep(0.1)
    raise AssertionError(f"{count} workers did not start; log:\n{host.tail(40)}")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.integration
@pytest.mark.slow
def test_two_workers_run_each_blob_and_message_exactly_once(
    azurite: Azurite, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    seen = QueueWatcher(azurite.connection_string, "fx-w-seen")
    container = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(
        "fx-w-in"
    )
    with contextlib.suppress(Exception):
        container.create_container()
    host = _start(azurite, emulator, tmp_path)
    try:
        workers = _workers(host)
        run = uuid.uuid4().hex[:8]
        names = [f"{run}-{n:03d}.csv" for n in range(BLOBS)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda name: container.get_blob_client(name).upload_blob(name.encode()), names))
        ids = [uuid.uuid4().hex for _ in range(MESSAGES)]
        with (
            ServiceBusClient.from_connection_string(emulator.connection_string) as client,
            client.get_queue_sender("fx-sb") as sender,
        ):
            sender.send_messages([ServiceBusMessage("w", message_id=i) for i in ids])

        def done() -> bool:
            blobs = {r.get("name") for r in seen.seen if r["fn"] == "WBlob"}
            messages = {r.get("message_id") for r in seen.seen if r["fn"] == "WServiceBus"}
            return blobs >= {f"fx-w-in/{n}" for n in names} and messages >= set(ids)

        seen.wait_for(lambda _: done(), timeout=60)
        time.sleep(3.0)  # several more scans and receives: a duplicate would show up now
        seen.drain()
        blob_runs = Counter(r["name"] for r in seen.seen if r["fn"] == "WBlob")
        message_runs = Counter(r["message_id"] for r in seen.seen if r["fn"] == "WServiceBus")
        assert {blob_runs[f"fx-w-in/{n}"] for n in names} == {1}, blob_runs
        assert {message_runs[i] for i in ids} == {1}, message_runs
        assert {r["delivery_count"] for r in seen.seen if r["fn"] == "WServiceBus"} == {1}
        # Both processes took work; none was done by the supervisor.
        assert {r["pid"] for r in seen.seen if r["fn"] == "WBlob"} == set(workers)
        assert {r["pid"] for r in seen.seen} <= set(workers)
        # Every message was completed: nothing is left to receive.
        with (
            ServiceBusClient.from_connection_string(emulator.connection_string) as client,
            client.get_queue_receiver("fx-sb") as receiver,
        ):
            assert receiver.peek_messages(max_message_count=10) == []
        log = Path(host.log_path).read_text()
        assert "[w0]" in log and "[w1]" in log
    finally:
        host.stop()
    assert _gone([host.pid, *workers], timeout=5), "a worker outlived the stop"


@pytest.mark.integration
@pytest.mark.slow
def test_http_is_served_by_worker_zero_and_no_worker_outlives_its_supervisor(
    azurite: Azurite, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    host = _start(azurite, emulator, tmp_path)
    workers: list[int] = []
    try:
        workers = _workers(host)
        first = min(workers, key=lambda pid: psutil.Process(pid).create_time())
        with urllib.request.urlopen(f"{host.base_url}/api/pid", timeout=5) as response:
            assert int(response.read()) == first
        os.kill(host.pid, signal.SIGKILL)  # the supervisor alone, as a crash would
        assert _gone(workers, timeout=15), "a worker was orphaned"
    finally:
        host.stop()
        for pid in workers:  # never leave one behind, even when the assertion failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_workers_option_wins_over_the_setting_and_a_bad_setting_means_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def count(*argv: str) -> int:
        return devhost_main.worker_count(devhost_main._parse(["--app-dir", str(tmp_path), *argv]))[0]

    monkeypatch.delenv("FUNCTIONS_WORKER_PROCESS_COUNT", raising=False)
    assert count() == 1
    monkeypatch.setenv("FUNCTIONS_WORKER_PROCESS_COUNT", "2")
    assert count() == 2
    assert count("--workers", "1") == 1
    assert count("--worker-index", "1", "--worker-count", "2") == 1  # a worker never supervises
    monkeypatch.setenv("FUNCTIONS_WORKER_PROCESS_COUNT", "many")
    assert count() == 1
    warning = devhost_main.worker_count(devhost_main._parse(["--app-dir", str(tmp_path)]))[1]
    assert warning is not None and "FUNCTIONS_WORKER_PROCESS_COUNT" in warning
    with pytest.raises(SystemExit):
        count("--workers", "0")
