"""At least 100 concurrent SDK connections (Microsoft's emulator allows 10), bounded and on loopback."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest
from azure.servicebus import ServiceBusMessage
from azure.servicebus.aio import ServiceBusClient
from servicebus_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.emulator, pytest.mark.integration, pytest.mark.slow]

CONNECTIONS = 110


def test_more_than_100_concurrent_connections(tmp_path: Path, entity: str) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"UserConfig": {"Namespaces": [{"Name": "sbemulatorns", "Queues": [
        {"Name": entity, "Properties": {}}]}]}}), "utf-8")

    async def scenario(emulator: EmulatorProcess) -> int:
        # One client = one AMQP connection; each opens lazily on its first send, all concurrently.
        clients = [ServiceBusClient.from_connection_string(emulator.connection_string, retry_total=0)
                   for _ in range(CONNECTIONS)]
        senders = [client.get_queue_sender(entity) for client in clients]
        try:
            await asyncio.wait_for(asyncio.gather(*(
                s.send_messages(ServiceBusMessage(f"from-{i}")) for i, s in enumerate(senders))), 120)
            stats = _get(emulator, "/admin/stats")
            assert stats["connections"] >= CONNECTIONS
            return int(stats["peakConnections"])
        finally:
            await asyncio.gather(*(s.close() for s in senders), return_exceptions=True)
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    with EmulatorProcess(config) as emulator:
        peak = asyncio.run(scenario(emulator))
        assert peak >= CONNECTIONS
        (row,) = [r for r in _get(emulator, "/admin/entities") if r["entity"] == entity]
        assert row["active"] == CONNECTIONS


def _get(emulator: EmulatorProcess, path: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(f"http://127.0.0.1:{emulator.health_port}{path}", timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]
