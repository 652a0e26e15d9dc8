"""Durable mode: acknowledged sends and completions survive `kill -9` of the emulator process.

A sender and a completing receiver run against the emulator (a child process, `--data DIR`) until it
is SIGKILLed mid-load. After a restart on the same folder, every message whose send was acknowledged is
either still there or was acknowledged as completed, and nothing acknowledged as completed comes back.
The one completion the kill may interrupt is in doubt either way (durable, but its echo never arrived).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusReceiveMode
from servicebus_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.emulator, pytest.mark.integration, pytest.mark.slow]

MAX_MESSAGES = 5000  # bounds the load whatever the machine's speed
KILL_AFTER = 1000  # acknowledged sends; the kill lands while the sender is still sending
LOAD_SECONDS = 5.0


class Load:
    def __init__(self, connection_string: str, queue: str) -> None:
        self.connection_string = connection_string
        self.queue = queue
        self.acknowledged: set[str] = set()
        self.completed: set[str] = set()
        # A completion the kill interrupted: the emulator may have made it durable and died before its
        # echo reached us, so this message may rightly be gone or still there. At most one: completions
        # go one at a time.
        self.in_doubt: set[str] = set()
        self.stop = threading.Event()

    def send(self) -> None:
        with ServiceBusClient.from_connection_string(self.connection_string, retry_total=0) as client, \
                client.get_queue_sender(self.queue) as sender:
            counter = 0
            while not self.stop.is_set() and counter < MAX_MESSAGES:
                ids = [f"m-{counter + i}" for i in range(20)]
                try:
                    sender.send_messages([ServiceBusMessage(i, message_id=i) for i in ids])
                except Exception:
                    return  # the emulator was killed: this batch was never acknowledged
                self.acknowledged.update(ids)
                counter += 20

    def receive(self) -> None:
        with ServiceBusClient.from_connection_string(self.connection_string, retry_total=0) as client, \
                client.get_queue_receiver(self.queue, prefetch_count=50) as receiver:
            while not self.stop.is_set():
                try:
                    for message in receiver.receive_messages(max_message_count=20, max_wait_time=1):
                        self.in_doubt = {str(message)}
                        receiver.complete_message(message)
                        self.completed.add(str(message))
                        self.in_doubt = set()
                except Exception:
                    return


def _config(tmp_path: Path, queue: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"UserConfig": {"Namespaces": [{"Name": "sbemulatorns", "Queues": [
        {"Name": queue, "Properties": {"LockDuration": "PT30S", "MaxDeliveryCount": 10}}]}]}}), "utf-8")
    return path


def _drain(connection_string: str, queue: str) -> list[str]:
    remaining: list[str] = []
    with ServiceBusClient.from_connection_string(connection_string, retry_total=0) as client, \
            client.get_queue_receiver(queue, receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE,
                                      prefetch_count=300) as receiver:
        while batch := receiver.receive_messages(max_message_count=300, max_wait_time=2):
            remaining += [str(m) for m in batch]
    return remaining


def test_kill_dash_nine_loses_nothing_acknowledged(tmp_path: Path, entity: str) -> None:
    config, data = _config(tmp_path, entity), tmp_path / "data"
    first = EmulatorProcess(config, data_dir=data, health=False).start()
    load = Load(first.connection_string, entity)
    workers = [threading.Thread(target=load.send), threading.Thread(target=load.receive)]
    try:
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline and len(load.acknowledged) < KILL_AFTER:
            time.sleep(0.05)
        first.kill()  # SIGKILL mid-load: no shutdown hook runs
    finally:
        load.stop.set()
        first.kill()
        for worker in workers:
            worker.join(30)
    acknowledged, completed = set(load.acknowledged), set(load.completed)
    assert acknowledged and completed, "the load never got going; the test proved nothing"
    assert len(acknowledged) < MAX_MESSAGES, "the sender had finished before the kill"

    with EmulatorProcess(config, data_dir=data, health=False) as second:
        assert "messages restored" in second.ready_line
        remaining = _drain(second.connection_string, entity)
        with ServiceBusClient.from_connection_string(second.connection_string, retry_total=0) as client:
            with client.get_queue_sender(entity) as sender:
                sender.send_messages(ServiceBusMessage("after-restart"))
            with client.get_queue_receiver(entity) as receiver:
                (after,) = receiver.receive_messages(max_message_count=1, max_wait_time=5)
                receiver.complete_message(after)

    survivors = set(remaining)
    assert len(remaining) == len(survivors), "a message was restored twice"
    lost = acknowledged - survivors - completed - load.in_doubt
    assert not lost, f"{len(lost)} acknowledged messages were lost, e.g. {sorted(lost)[:5]}"
    resurrected = completed & survivors
    assert not resurrected, f"completed messages came back: {sorted(resurrected)[:5]}"
    assert after.sequence_number > len(acknowledged), "sequence numbers were reused after the restart"
