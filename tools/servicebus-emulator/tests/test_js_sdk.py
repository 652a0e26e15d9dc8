"""Conformance with a second, independent client: the real JavaScript SDK against the emulator.

`@azure/service-bus` (npm, on rhea) differs from the Python SDK on the wire in ways a broker must
handle: bare entity addresses, CBS replies routed by link name, abandon as
`modified(undeliverable-here=false)`, batches without message ids. This module starts the emulator
in a child process on free loopback ports with its own entity names, runs the node test files in
`js/` beside it with node's own test runner, and fails with node's output if any of them fail.

Node and `node_modules/@azure/service-bus` are required, not optional: a missing one fails the test
with the fix (`npm ci`) rather than skipping it, so a CI without node cannot look green.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
from servicebus_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.emulator, pytest.mark.integration]

JS_DIR = Path(__file__).resolve().parent / "js"
# node resolves @azure/service-bus from the nearest node_modules above js/ (this repository's root when the
# package lives in a checkout of it); that directory is where `npm ci` must run.
ROOT = next((p for p in JS_DIR.parents if (p / "node_modules").is_dir()), JS_DIR.parents[3])
SDK_PACKAGE = ROOT / "node_modules" / "@azure" / "service-bus" / "package.json"
# The whole node run; each node test has its own, much smaller, timeout (see js/helpers.mjs).
NODE_TIMEOUT_S = 180
MIN_NODE_VERSION = (20, 11)  # --test-timeout
MIN_NODE = ".".join(map(str, MIN_NODE_VERSION))

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
    "renew": {"LockDuration": "PT3S", "MaxDeliveryCount": 5},
    "subscribe": FAST,
}
# Subscription name -> its rules; "all" has none, i.e. the default true filter.
SUBSCRIPTIONS: dict[str, list[dict[str, Any]]] = {
    "all": [],
    "red": [{"Name": "red", "Properties": {
        "FilterType": "Correlation", "CorrelationFilter": {"Properties": {"colour": "red"}}}}],
    "order-42": [{"Name": "order", "Properties": {"FilterType": "Correlation", "CorrelationFilter": {
        "CorrelationId": "order-42", "Label": "invoice"}}}],
}


def _entities() -> dict[str, Any]:
    """Unique names for this run, so nothing is shared with another test or an earlier run."""
    run = uuid.uuid4().hex[:6]
    return {"queues": {scenario: f"js-{scenario}-{run}" for scenario in QUEUES},
            "topic": f"js-fanout-{run}",
            "subscriptions": {name: name for name in SUBSCRIPTIONS},
            "missing": f"js-no-such-queue-{run}"}


def _config(entities: dict[str, Any]) -> dict[str, Any]:
    queues = [{"Name": entities["queues"][scenario], "Properties": props}
              for scenario, props in QUEUES.items()]
    subscriptions = [{"Name": entities["subscriptions"][name], "Properties": FAST,
                      **({"Rules": rules} if rules else {})} for name, rules in SUBSCRIPTIONS.items()]
    topic = {"Name": entities["topic"], "Properties": {}, "Subscriptions": subscriptions}
    return {"UserConfig": {"Namespaces": [{"Name": "sbemulatorns", "Queues": queues, "Topics": [topic]}]}}


def _node(sdk_package: Path = SDK_PACKAGE) -> str:
    """The node executable, or a failure that says how to get the JS side ready."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not on PATH: the JS SDK conformance tests need Node {MIN_NODE}+, "
                    f"then `npm ci` in {ROOT}", pytrace=False)
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+.*", version)
    if match is None or (int(match[1]), int(match[2])) < MIN_NODE_VERSION:
        pytest.fail(f"node {version or '(unknown version)'} is too old: the JS SDK conformance tests need "
                    f"Node {MIN_NODE}+ (node --test --test-timeout)", pytrace=False)
    if not sdk_package.is_file():
        pytest.fail(f"{sdk_package.parent} is missing: run `npm ci` in {ROOT} to install @azure/service-bus",
                    pytrace=False)
    return node


def _run_node(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run node --test in its own process group, so a hang is ended with every file it spawned."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=NODE_TIMEOUT_S + 30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group of the node we started, by its id
        output, _ = process.communicate()
        pytest.fail(f"node --test did not finish in {NODE_TIMEOUT_S + 30} s:\n{output}", pytrace=False)
    return process.returncode, output


def _summary(output: str) -> dict[str, int]:
    """node's closing counts, from the spec reporter's summary lines ("<info sign> pass 10")."""
    return {name: int(count) for name, count in re.findall(r"^\S+ (tests|pass|fail|todo|cancelled) (\d+)$",
                                                            output, re.MULTILINE)}


def test_node_prerequisites_fail_clearly_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(pytest.fail.Exception, match="node is not on PATH"):
        _node()
    monkeypatch.undo()
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: install Node 20+, then `npm ci`", pytrace=False)
    with pytest.raises(pytest.fail.Exception, match=r"run `npm ci`"):
        _node(ROOT / "node_modules" / "no-such-package" / "package.json")


@pytest.mark.slow  # about 18 s: node start-up, a 4 s schedule, a 3 s lock expiry
def test_js_sdk_core_scenarios(tmp_path: Path) -> None:
    node = _node()
    entities = _entities()
    config = tmp_path / "Config.json"
    config.write_text(json.dumps(_config(entities), indent=2), encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1", "SB_ENTITIES": json.dumps(entities)}
    # --test-concurrency=1: one file at a time; the machine is shared and the files are short.
    # The files by name, not the folder: node 21+ reads --test arguments as globs, not directories.
    files = [str(path.relative_to(ROOT)) for path in sorted(JS_DIR.glob("*.test.mjs"))]
    assert files, f"no *.test.mjs in {JS_DIR}"
    command = [node, "--test", "--test-reporter=spec", "--test-concurrency=1",
               f"--test-timeout={NODE_TIMEOUT_S * 1000}", *files]
    emulator = EmulatorProcess(config, health=False).start()
    try:
        returncode, output = _run_node(command, {**env, "SB_CONNECTION_STRING": emulator.connection_string})
    finally:
        emulator.stop()
    print(output)  # shown with -s: each scenario, its time, and any todo (known emulator bug)
    if returncode != 0:
        pytest.fail(f"`{' '.join(command)}` exited {returncode}:\n{output}\n"
                    f"emulator log: {emulator.log_path}", pytrace=False)
    counts = _summary(output)
    assert counts.get("tests", 0) > 0 and counts.get("pass", 0) > 0, f"node ran no passing test:\n{output}"
    if counts.get("todo"):
        # Known emulator bugs, each marked in the JS file with its precise cause: visible, not failing.
        todo = [line.strip() for line in output.splitlines() if "# emulator bug" in line]
        warnings.warn(f"{counts['todo']} JS SDK scenario(s) are todo: {sorted(set(todo))}", stacklevel=1)
