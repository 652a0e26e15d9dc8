"""The CLI process, the health endpoint and the admin CLI, against a real emulator child process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from servicebus_emulator.testing import IMPORT_ROOT, EmulatorProcess

pytestmark = [pytest.mark.emulator, pytest.mark.integration]


def _config(tmp_path: Path, queue: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"UserConfig": {"Namespaces": [{"Name": "sbemulatorns", "Queues": [
        {"Name": queue, "Properties": {"MaxDeliveryCount": 1}}]}]}}), "utf-8")
    return path


def _admin(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "servicebus_emulator.admin",
                           "--url", f"http://127.0.0.1:{port}", *args],
                          cwd=IMPORT_ROOT, capture_output=True, text=True, timeout=30, check=False)


def test_health_and_admin_cli(tmp_path: Path, entity: str) -> None:
    with EmulatorProcess(_config(tmp_path, entity)) as emulator:
        assert emulator.ready_seconds < 10
        with urllib.request.urlopen(f"http://127.0.0.1:{emulator.health_port}/health", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"status": "healthy"}
        with ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0) as client:
            with client.get_queue_sender(entity) as sender:
                sender.send_messages([ServiceBusMessage("a", message_id="id-a"), ServiceBusMessage("b")])
            with client.get_queue_receiver(entity) as receiver:
                (first,) = receiver.receive_messages(max_message_count=1, max_wait_time=5)
                receiver.abandon_message(first)  # MaxDeliveryCount 1: straight to the DLQ

        listing = _admin(emulator.health_port, "entities")
        assert listing.returncode == 0, listing.stderr
        row = next(line.split() for line in listing.stdout.splitlines() if line.startswith(entity))
        assert row[1:] == ["1", "1", "0", "0"]  # active, dlq, scheduled, deferred

        peek = _admin(emulator.health_port, "peek", f"{entity}/$DeadLetterQueue")
        assert peek.returncode == 0, peek.stderr
        (dead,) = json.loads(peek.stdout)
        assert dead["messageId"] == "id-a"
        assert dead["properties"]["DeadLetterReason"] == "MaxDeliveryCountExceeded"

        purge = _admin(emulator.health_port, "purge", entity)
        assert purge.returncode == 0 and "purged 1 messages" in purge.stdout

        missing = _admin(emulator.health_port, "peek", "no-such-queue")
        assert missing.returncode == 1 and "could not be found" in missing.stderr
        assert "Traceback" not in missing.stderr


def test_invalid_config_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({"UserConfig": {"Namespaces": [{"Queues": [
        {"Name": "q", "Properties": {"LockDuration": "one minute"}}]}]}}), "utf-8")
    result = subprocess.run([sys.executable, "-m", "servicebus_emulator", "--config", str(bad),
                             "--port", "0", "--health-port", "0"],
                            cwd=IMPORT_ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "UserConfig.Namespaces[0].Queues[0].Properties.LockDuration" in result.stderr
    assert "Traceback" not in result.stderr


def test_busy_port_is_a_clear_error(tmp_path: Path, entity: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "servicebus_emulator", "--config",
                                 str(_config(tmp_path, entity)), "--port", str(port), "--health-port", "0"],
                                cwd=IMPORT_ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_health_port_zero_disables_it(tmp_path: Path, entity: str) -> None:
    with EmulatorProcess(_config(tmp_path, entity), health=False) as emulator:
        assert emulator.health_port == 0
        assert "health=off" in emulator.ready_line
