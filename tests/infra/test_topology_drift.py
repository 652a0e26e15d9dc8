"""Drift test: the topology file, the app's bindings, the emulator and Bicep agree.

* Bicep loads exactly shared/topology/servicebus-config.json and hard-codes no entity name.
* Every entity property the file (or the emulator) knows is mapped onto its ARM property, with empty
  strings turned into null; the ones that matter most are checked by name.
* Every queue, topic and subscription the app binds exists in the file; every one in the file is used.
* The local emulator loads the same file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from app_bindings import AppIndex
from bicep_checks import (
    INFRA_DIR,
    MAIN_BICEP,
    bicep_files,
    body,
    find_mapping,
    is_empty_to_null,
    leaves,
    loop_source,
    one_resource,
    parse_bicep,
    strip_comments,
)

pytestmark = pytest.mark.infra

MODULES = INFRA_DIR / "modules"
# Config.json property -> ARM property, per entity kind; each file declares a defaults object with
# exactly these keys. String-valued ones must map '' to null.
QUEUE_PROPERTIES = {
    "AutoDeleteOnIdle": "autoDeleteOnIdle",
    "DeadLetteringOnMessageExpiration": "deadLetteringOnMessageExpiration",
    "DefaultMessageTimeToLive": "defaultMessageTimeToLive",
    "DuplicateDetectionHistoryTimeWindow": "duplicateDetectionHistoryTimeWindow",
    "EnableBatchedOperations": "enableBatchedOperations",
    "EnablePartitioning": "enablePartitioning",
    "ForwardDeadLetteredMessagesTo": "forwardDeadLetteredMessagesTo",
    "ForwardTo": "forwardTo",
    "LockDuration": "lockDuration",
    "MaxDeliveryCount": "maxDeliveryCount",
    "MaxSizeInMegabytes": "maxSizeInMegabytes",
    "RequiresDuplicateDetection": "requiresDuplicateDetection",
    "RequiresSession": "requiresSession",
    "Status": "status",
}
TOPIC_PROPERTIES = {
    "AutoDeleteOnIdle": "autoDeleteOnIdle",
    "DefaultMessageTimeToLive": "defaultMessageTimeToLive",
    "DuplicateDetectionHistoryTimeWindow": "duplicateDetectionHistoryTimeWindow",
    "EnableBatchedOperations": "enableBatchedOperations",
    "EnablePartitioning": "enablePartitioning",
    "MaxSizeInMegabytes": "maxSizeInMegabytes",
    "RequiresDuplicateDetection": "requiresDuplicateDetection",
    "Status": "status",
    "SupportOrdering": "supportOrdering",
}
# ARM has no such property on a subscription, so the file must not use them there.
NOT_ON_ARM_SUBSCRIPTIONS = {"RequiresDuplicateDetection", "MaxSizeInMegabytes", "EnablePartitioning"}
SUBSCRIPTION_PROPERTIES = {k: v for k, v in QUEUE_PROPERTIES.items() if k not in NOT_ON_ARM_SUBSCRIPTIONS}
STRING_PROPERTIES = {"AutoDeleteOnIdle", "DefaultMessageTimeToLive", "DuplicateDetectionHistoryTimeWindow",
                     "ForwardDeadLetteredMessagesTo", "ForwardTo", "LockDuration", "Status"}
DURATION_PROPERTIES = {"AutoDeleteOnIdle", "DefaultMessageTimeToLive", "DuplicateDetectionHistoryTimeWindow",
                       "LockDuration"}
THE_ONES_THAT_MATTER = ("MaxDeliveryCount", "LockDuration", "DeadLetteringOnMessageExpiration",
                        "RequiresDuplicateDetection")
ISO_8601_DURATION = re.compile(r"^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
CORRELATION_TO_ARM = {
    "ContentType": "contentType", "CorrelationId": "correlationId", "Label": "label", "Subject": "label",
    "MessageId": "messageId", "ReplyTo": "replyTo", "ReplyToSessionId": "replyToSessionId",
    "SessionId": "sessionId", "To": "to", "Properties": "properties",
}
CORRELATION_FIELDS = set(CORRELATION_TO_ARM)

# (file, resource type, the defaults variable, the map) for each entity kind.
KINDS = {
    "queue": ("servicebus.bicep", "Microsoft.ServiceBus/namespaces/queues", "queueDefaults",
              QUEUE_PROPERTIES),
    "topic": ("servicebus-topic.bicep", "Microsoft.ServiceBus/namespaces/topics", "topicDefaults",
              TOPIC_PROPERTIES),
    "subscription": ("servicebus-subscription.bicep", "Microsoft.ServiceBus/namespaces/topics/subscriptions",
                     "subscriptionDefaults", SUBSCRIPTION_PROPERTIES),
}


def _entities(ns: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    topics = ns.get("Topics", [])
    return {
        "queue": ns.get("Queues", []),
        "topic": topics,
        "subscription": [s for t in topics for s in t.get("Subscriptions", [])],
    }


def _declared_entities(ns: dict[str, Any]) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = {("queue", q["Name"]) for q in ns.get("Queues", [])}
    for topic in ns.get("Topics", []):
        found.add(("topic", topic["Name"]))
        found |= {("subscription", topic["Name"], s["Name"]) for s in topic.get("Subscriptions", [])}
    return found


# --- Bicep reads the one file ------------------------------------------------------------------------


def test_bicep_loads_exactly_the_topology_file(main_doc: dict[str, Any], topology: Any) -> None:
    loads = []
    for path in bicep_files():
        for name, var in parse_bicep(path).get("variables", {}).items():
            function = var["value"].get("function", {}) if isinstance(var["value"], dict) else {}
            if function.get("type") == "load_json_content":
                loads.append((path, name, function["parameters"]["file_path"]))
    assert len(loads) == 1, f"expected one loadJsonContent in infra/, found {loads}"
    path, name, file_path = loads[0]
    assert path == MAIN_BICEP
    assert (path.parent / file_path).resolve() == Path(topology.CONFIG_PATH).resolve(), (
        f"main.bicep loads {file_path!r}, not shared/topology/servicebus-config.json")
    passed = body(main_doc["modules"]["serviceBus"])["params"]["topology"]
    assert {name, "UserConfig", "Namespaces", 0} <= set(leaves(passed)), (
        "main.bicep must pass UserConfig.Namespaces[0] of the loaded file to the Service Bus module")


def test_entities_are_looped_from_the_file(module_doc: Any) -> None:
    sb = module_doc("servicebus.bicep")
    assert "Queues" in set(leaves(sb["variables"]["queueList"]["value"]))
    assert loop_source(one_resource(sb, KINDS["queue"][1])) == "queues"
    assert "Topics" in set(leaves(sb["variables"]["topicList"]["value"]))
    assert loop_source(sb["modules"]["topics"]) == "topicList"
    topic = module_doc("servicebus-topic.bicep")
    assert "Subscriptions" in set(leaves(topic["variables"]["subscriptionList"]["value"]))
    assert loop_source(topic["modules"]["subscriptions"]) == "subscriptionList"
    sub = module_doc("servicebus-subscription.bicep")
    assert "Rules" in set(leaves(sub["variables"]["ruleList"]["value"]))
    rules = one_resource(sub, "Microsoft.ServiceBus/namespaces/topics/subscriptions/rules")
    assert loop_source(rules) == "rules"


def test_no_entity_name_is_hard_coded_in_bicep(namespace_config: dict[str, Any]) -> None:
    names = {entity[-1] for entity in _declared_entities(namespace_config)}
    for path in bicep_files():
        code = strip_comments(path.read_text())
        for name in names:
            assert f"'{name}'" not in code, (
                f"{path.name} hard-codes {name!r}; names come from shared/topology/servicebus-config.json")


# --- every property is mapped ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_property_is_mapped(kind: str, module_doc: Any) -> None:
    file_name, resource_type, defaults_var, mapping = KINDS[kind]
    doc = module_doc(file_name)
    defaults = doc["variables"][defaults_var]["value"]
    assert set(defaults) == set(mapping), f"{file_name} {defaults_var} keys differ from the mapping"
    arm = body(one_resource(doc, resource_type))["properties"]
    for source, target in mapping.items():
        assert target in arm, f"{file_name}: {source} is not mapped to {target}"
        assert source in set(leaves(arm[target])), f"{file_name}: {target} does not read {source}"
        if source in STRING_PROPERTIES:
            assert is_empty_to_null(arm[target]), f"{file_name}: {target} must be `empty(x) ? null : x`"


def test_the_properties_that_matter_are_mapped_for_queues_and_subscriptions() -> None:
    for kind in ("queue", "subscription"):
        mapping = KINDS[kind][3]
        missing = [p for p in THE_ONES_THAT_MATTER if p not in mapping and p not in NOT_ON_ARM_SUBSCRIPTIONS]
        assert not missing, f"{kind}: {missing} not mapped"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_file_uses_only_mapped_properties(kind: str, namespace_config: dict[str, Any]) -> None:
    mapping = KINDS[kind][3]
    for entity in _entities(namespace_config)[kind]:
        unknown = set(entity.get("Properties", {})) - set(mapping)
        assert not unknown, f"{kind} {entity['Name']}: {sorted(unknown)} would not reach Azure (not in Bicep)"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_durations_are_iso_8601(kind: str, namespace_config: dict[str, Any]) -> None:
    for entity in _entities(namespace_config)[kind]:
        for key, value in entity.get("Properties", {}).items():
            if key in DURATION_PROPERTIES and value != "":
                assert ISO_8601_DURATION.match(value), (
                    f"{kind} {entity['Name']}.{key}={value!r}: ARM wants ISO 8601 (PT1M), not a TimeSpan")


def test_emulator_properties_are_all_mapped() -> None:
    config = pytest.importorskip("servicebus_emulator.config")
    dropped_queue = set(config.QUEUE_PROPERTIES) - set(QUEUE_PROPERTIES)
    dropped_topic = set(config.TOPIC_PROPERTIES) - set(TOPIC_PROPERTIES)
    assert not dropped_queue, f"the emulator accepts queue properties Bicep drops: {sorted(dropped_queue)}"
    assert not dropped_topic, f"the emulator accepts topic properties Bicep drops: {sorted(dropped_topic)}"


def test_rules_map_filters_and_actions(module_doc: Any, namespace_config: dict[str, Any]) -> None:
    doc = module_doc("servicebus-subscription.bicep")
    assert set(doc["variables"]["correlationDefaults"]["value"]) == CORRELATION_FIELDS
    rule = body(one_resource(doc, "Microsoft.ServiceBus/namespaces/topics/subscriptions/rules"))["properties"]
    assert {"SqlFilter", "CorrelationFilter"} <= set(leaves(rule["filterType"]))
    correlation = find_mapping(rule["correlationFilter"], "contentType")
    assert correlation is not None, "correlationFilter has no object literal with contentType"
    assert set(correlation) == set(CORRELATION_TO_ARM.values()), "correlation filter fields differ"
    for source, target in CORRELATION_TO_ARM.items():
        assert source in set(leaves(correlation[target])), f"correlationFilter.{target} ignores {source}"
    assert "sqlExpression" in set(leaves(rule["sqlFilter"]))
    assert "actionExpression" in set(leaves(rule["action"]))
    for sub in _entities(namespace_config)["subscription"]:
        for r in sub.get("Rules", []):
            props = r["Properties"]
            assert str(props.get("FilterType", "")).lower() in {"correlation", "sql"}, (
                f"rule {r['Name']}: FilterType {props.get('FilterType')!r} is neither Correlation nor Sql")
            unknown = set(props.get("CorrelationFilter", {})) - CORRELATION_FIELDS
            assert not unknown, f"rule {r['Name']}: correlation fields {sorted(unknown)} are not mapped"


# --- the app and the file ----------------------------------------------------------------------------


def test_topology_constants_are_in_the_file(topology: Any, namespace_config: dict[str, Any]) -> None:
    declared = _declared_entities(namespace_config)
    expected = {
        ("queue", topology.FILE_VALIDATED_QUEUE),
        ("queue", topology.FILE_ADAPTED_QUEUE),
        ("topic", topology.FILE_FAILED_TOPIC),
        ("subscription", topology.FILE_FAILED_TOPIC, topology.ADAPTOR_COMPENSATION_SUBSCRIPTION),
        ("subscription", topology.FILE_FAILED_TOPIC, topology.VALIDATOR_COMPENSATION_SUBSCRIPTION),
        ("topic", topology.FILE_ENDED_TOPIC),
        ("subscription", topology.FILE_ENDED_TOPIC, topology.REPORTER_SUBSCRIPTION),
        ("subscription", topology.FILE_ENDED_TOPIC, topology.NOTIFIER_SUBSCRIPTION),
    }
    assert expected <= declared, f"shared/topology names missing from the file: {sorted(expected - declared)}"


def test_every_bound_entity_is_declared(app_index: AppIndex, namespace_config: dict[str, Any]) -> None:
    if app_index.unavailable:
        pytest.fail(f"the app no longer indexes: {app_index.unavailable}", pytrace=False)
    declared = _declared_entities(namespace_config)
    bound = app_index.service_bus_entities()
    assert bound, "the app binds no Service Bus entity"
    missing = bound - declared
    assert not missing, f"the app binds entities the topology (so Bicep) does not declare: {sorted(missing)}"
    readable = {e for e in declared if e[0] != "topic"}
    unused = readable - bound
    assert not unused, f"the topology declares entities no function reads: {sorted(unused)}"


def test_emulator_loads_the_file_bicep_deploys(topology: Any, namespace_config: dict[str, Any]) -> None:
    """The local emulator accepts the very file Bicep loads, with the same queues and topics."""
    config = pytest.importorskip("servicebus_emulator.config")
    from datetime import UTC, datetime

    class FixedClock:
        def now(self) -> datetime:
            return datetime(2026, 1, 1, tzinfo=UTC)

    namespace = config.load_namespace(Path(topology.CONFIG_PATH), FixedClock())
    for kind, *names in sorted(_declared_entities(namespace_config)):
        if kind in ("queue", "topic"):
            assert namespace.sendable(names[0]) is not None, f"the emulator has no {kind} {names[0]}"
