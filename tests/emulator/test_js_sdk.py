"""Conformance with a second, independent client: the real JavaScript SDK against the emulator.

`@azure/service-bus` (npm, on rhea) differs from the Python SDK on the wire in ways a broker must
handle: bare entity addresses, CBS replies routed by link name, abandon as
`modified(undeliverable-here=false)`, batches without message ids. This module starts the emulator
in a child process on free loopback ports with its own entity names, runs the node test files in
`tests/emulator/js/` with node's own test runner, and fails with node's output if any of them fail.

Node and `node_modules/@azure/service-bus` are required, not optional: a missing one fails the test
with the fix (`npm ci`) rather than skipping it, so a CI without node cannot look green.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from localdev.servicebus_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.emulator, pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "tests" / "emulator" / "js"
SDK_PACKAGE = ROOT / "node_modules" / "@azure" / "service-bus" / "package.json"
# The whole node run; each node test has its own, much smaller, timeout (see js/helpers.mjs).
NODE_TIMEOUT_S = 180

FAST = {"LockDuration": "PT5S", "MaxDeliveryCount": 3}
# Queue scenario name -> its Properties. The JS tests look each name up in SB_ENTITIES.
QUEUES: dict[str, dict[str, Any]] = {
    "basic": FAST,
    "poison": {"LockDuration": "PT5S", "MaxDeliveryCount": 2},
    "deadletter": FAST,
    "defer": FAST,
    "receive-and-delete": FAST,
    "peek": FAST,
    "schedule": FAST,
    # A short lock so renewal and expiry are observable within a couple of seconds.
    "renew": {"LockDuration": "PT2S", "MaxDeliveryCount": 5},
    "subscribe": FAST,
}
# Subscription name -> its rules; "all" has none, i.e. the default true filter.
SUBSCRIPTIONS: dict[str, list[dict[str, Any]]] = {
    "all": [],
    "red": [{"Name": "red", "Properties": {
        "FilterType": "Correlation", "CorrelationFilter": {"Properties": {"colour": "red"}}}}],
    "order-42": [{"Name": "order", "Properties": {
        "FilterType": "Correlation", "CorrelationFilter": {"CorrelationId": "order-42", "Label": "invoice"}}}],
}


def _entities() -> dict[str, Any]:
    """Unique names for this run, so nothing is shared with another test or an earlier run."""
    run = uuid.uuid4().hex[:6]
    return {"queues": {scenario: f"js-{scenario}-{run}" for scenario in QUEUES},
            "topic": f"js-fanout-{run}",
            "subscriptions": {name: name for name in SUBSCRIPTIONS},
            "missing": f"js-no-such-queue-{run}"}


def _config(entities: dict[str, Any]) -> dict[str, Any]:
    queues = [{"Name": entities["queues"][scenario], "Properties": props} for scenario, props in QUEUES.items()]
    subscriptions = [{"Name": entities["subscriptions"][name], "Properties": FAST,
                      **({"Rules": rules} if rules else {})} for name, rules in SUBSCRIPTIONS.items()]
    topic = {"Name": entities["topic"], "Properties": {}, "Subscriptions": subscriptions}
    return {"UserConfig": {"Namespaces": [{"Name": "sbemulatorns", "Queues": queues, "Topics": [topic]}]}}


def _node() -> str:
    """The node executable, or a failure that says how to get the JS side ready."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the JS SDK conformance tests need Node 20+ "
                    "(then run `npm ci` in the repo root)", pytrace=False)
    if not SDK_PACKAGE.is_file():
        pytest.fail(f"{SDK_PACKAGE.parent} is missing: run `npm ci` in {ROOT} to install @azure/service-bus",
                    pytrace=False)
    return node


def test_js_sdk_core_scenarios(tmp_path: Path) -> None:
    node = _node()
    entities = _entities()
    config = tmp_path / "Config.json"
    config.write_text(json.dumps(_config(entities), indent=2), encoding="utf-8")
    emulator = EmulatorProcess(config, health=False).start()
    try:
        env = {**os.environ,
               "SB_CONNECTION_STRING": emulator.connection_string,
               "SB_ENTITIES": json.dumps(entities),
               "NO_COLOR": "1"}
        # --test-concurrency=1: one file at a time, the machine is shared and the files are short.
        command = [node, "--test", "--test-reporter=spec", "--test-concurrency=1",
                   f"--test-timeout={NODE_TIMEOUT_S * 1000}", str(JS_DIR.relative_to(ROOT))]
        try:
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                                    timeout=NODE_TIMEOUT_S + 30, check=False)
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            pytest.fail(f"node --test did not finish in {NODE_TIMEOUT_S + 30} s:\n{output}\n"
                        f"emulator log: {emulator.log_path}", pytrace=False)
    finally:
        emulator.stop()
    output = f"{result.stdout}\n{result.stderr}".strip()
    # Shown with -s / on failure: which scenarios ran, and which are todo (known emulator bugs).
    print(output)
    if result.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` exited {result.returncode}:\n{output}\n"
                    f"emulator log: {emulator.log_path}", pytrace=False)
    assert "# pass 0\n" not in output, f"node ran no passing test:\n{output}"
