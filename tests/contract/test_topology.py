"""Topology drift: every Service Bus binding in function_app.py names an entity that exists in
shared/topology/servicebus-config.json, and every container the code names is in CONTAINERS."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from shared import topology
from tests.app_functions import app_functions

pytestmark = pytest.mark.contract
ROOT = Path(__file__).resolve().parents[2]
DLQ = topology.DEAD_LETTER_SUFFIX


def bindings() -> list[dict[str, Any]]:
    return [b.get_dict_repr() for f in app_functions() for b in f.get_bindings()]


def entities() -> tuple[set[str], dict[str, set[str]]]:
    ns = topology.namespace()
    queues = {q["Name"] for q in ns["Queues"]}
    subs = {t["Name"]: {s["Name"] for s in t["Subscriptions"]} for t in ns["Topics"]}
    return queues, subs


def test_every_service_bus_binding_exists_in_the_topology() -> None:
    queues, subs = entities()
    seen = 0
    for binding in bindings():
        if not binding["type"].startswith("serviceBus"):
            continue
        seen += 1
        assert binding["connection"] == topology.SERVICE_BUS_SETTING
        if "queueName" in binding:
            assert binding["queueName"].removesuffix(DLQ) in queues, binding
        else:
            assert binding["topicName"] in subs, binding
            assert binding["subscriptionName"].removesuffix(DLQ) in subs[binding["topicName"]], binding
    assert seen == 12


def test_every_queue_and_subscription_has_a_consumer_and_a_dead_letter_handler() -> None:
    queues, subs = entities()
    bound = {
        b.get("queueName") or f"{b['topicName']}/{b['subscriptionName']}"
        for b in bindings()
        if b["type"].startswith("serviceBus")
    }
    expected = {q for q in queues} | {f"{t}/{s}" for t, names in subs.items() for s in names}
    assert bound == expected | {f"{name}{DLQ}" for name in expected}


def test_storage_bindings_use_the_agreed_settings_and_containers() -> None:
    by_type = {b["type"]: b for b in bindings()}
    assert by_type["blobTrigger"]["path"].split("/")[0] in topology.CONTAINERS
    assert by_type["blobTrigger"]["connection"] == topology.PAYMENTS_STORAGE_SETTING
    assert by_type["queueTrigger"]["queueName"] == topology.BLOB_POISON_QUEUE
    assert by_type["queueTrigger"]["connection"] == topology.HOST_STORAGE_SETTING


def test_every_container_constant_used_by_the_code_is_declared() -> None:
    names = {n for n in dir(topology) if n.endswith("_CONTAINER")}
    used: set[str] = set()
    for path in [*ROOT.glob("shared/handlers/*.py"), *ROOT.glob("functions/*.py")]:
        used |= {
            node.id for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Name)
        } & names
        used |= {
            node.attr for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute)
        } & names
    assert used, "the handlers name no container constants at all?"
    assert {getattr(topology, n) for n in used} <= set(topology.CONTAINERS)
    literal = {"incoming", "outgoing", "rejected", "failed", "reference", "workflow", "reports"}
    assert literal == set(topology.CONTAINERS)
