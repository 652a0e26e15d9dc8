"""Reads the official Service Bus emulator Config.json (`UserConfig.Namespaces[0]`) into a Namespace.

Every problem is reported as a `ConfigError` whose path names the exact spot, e.g.
`UserConfig.Namespaces[0].Queues[1].Properties.LockDuration: 'PT1X' is not an ISO-8601 duration`.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from servicebus_emulator.entities.model import (
    DEFAULT_MAX_MESSAGE_SIZE,
    Clock,
    EntitySettings,
    TopicSettings,
)
from servicebus_emulator.entities.namespace import Namespace
from servicebus_emulator.entities.persistence import Journal
from servicebus_emulator.entities.topology import Rule
from servicebus_emulator.errors import ConfigError
from servicebus_emulator.filters import (
    SYSTEM_FIELDS,
    CorrelationFilter,
    FilterError,
    TrueFilter,
    parse_sql,
)

ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")
TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<hours>\d+):(?P<minutes>\d+):(?P<seconds>\d+(?:\.\d+)?)$")
ENTITY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,259}$")

QUEUE_PROPERTIES = {
    "DeadLetteringOnMessageExpiration", "DefaultMessageTimeToLive", "DuplicateDetectionHistoryTimeWindow",
    "ForwardDeadLetteredMessagesTo", "ForwardTo", "LockDuration", "MaxDeliveryCount",
    "RequiresDuplicateDetection", "RequiresSession", "MaxSizeInMegabytes", "EnablePartitioning",
    "EnableBatchedOperations", "Status", "AutoDeleteOnIdle",
}
TOPIC_PROPERTIES = {
    "DefaultMessageTimeToLive", "DuplicateDetectionHistoryTimeWindow", "RequiresDuplicateDetection",
    "MaxSizeInMegabytes", "EnablePartitioning", "EnableBatchedOperations", "Status", "AutoDeleteOnIdle",
    "SupportOrdering",
}
CORRELATION_KEYS = {"correlationid", "messageid", "to", "replyto", "label", "subject", "contenttype",
                    "sessionid", "properties"}


def parse_duration(value: Any, path: str) -> timedelta:
    """An ISO-8601 duration (PT1M, P14D) or a .NET TimeSpan (00:01:00)."""
    text = str(value).strip()
    match = ISO_DURATION.match(text) or TIMESPAN.match(text)
    if not isinstance(value, str) or match is None or text in ("P", "PT"):
        raise ConfigError(path, f"{value!r} is not an ISO-8601 duration such as 'PT1M' or 'P14D' "
                                f"(years and months are not allowed)")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return timedelta(weeks=parts.get("weeks", 0), days=parts.get("days", 0), hours=parts.get("hours", 0),
                     minutes=parts.get("minutes", 0), seconds=parts.get("seconds", 0))


def load_namespace(path: Path, clock: Clock, journal: Journal | None = None,
                   max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> Namespace:
    """Read Config.json at `path` and build the namespace it describes."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(str(path), f"not valid JSON at line {exc.lineno}, column {exc.colno}: "
                                     f"{exc.msg}") from None
    return build_namespace(document, clock, journal, max_message_size)


def build_namespace(document: Any, clock: Clock, journal: Journal | None = None,
                    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> Namespace:
    spec = _namespace_spec(document)
    namespace = Namespace(clock, journal, max_message_size)
    base = "UserConfig.Namespaces[0]"
    for i, queue in enumerate(_list(spec, "Queues", base)):
        where = f"{base}.Queues[{i}]"
        namespace.add_queue(_name(queue, where, namespace), _entity_settings(queue, where, QUEUE_PROPERTIES))
    for i, topic in enumerate(_list(spec, "Topics", base)):
        where = f"{base}.Topics[{i}]"
        name = _name(topic, where, namespace)
        namespace.add_topic(name, _topic_settings(topic, where))
        seen: set[str] = set()
        for j, sub in enumerate(_list(topic, "Subscriptions", where)):
            sub_where = f"{where}.Subscriptions[{j}]"
            sub_name = _name(sub, sub_where, None)
            if sub_name.lower() in seen:
                raise ConfigError(f"{sub_where}.Name", f"subscription '{sub_name}' is defined twice")
            seen.add(sub_name.lower())
            rules = [_rule(rule, f"{sub_where}.Rules[{k}]") for k, rule in
                     enumerate(_list(sub, "Rules", sub_where))] or [Rule("$Default", TrueFilter())]
            namespace.add_subscription(name, sub_name, _entity_settings(sub, sub_where, QUEUE_PROPERTIES),
                                       rules)
    _check_forwards(namespace, spec, base)
    return namespace


def _namespace_spec(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get("UserConfig"), dict):
        raise ConfigError("UserConfig", "missing: the file must be {\"UserConfig\": {\"Namespaces\": [...]}}")
    namespaces = document["UserConfig"].get("Namespaces")
    if not isinstance(namespaces, list) or len(namespaces) != 1 or not isinstance(namespaces[0], dict):
        raise ConfigError("UserConfig.Namespaces", "must be a list holding exactly one namespace object")
    spec: dict[str, Any] = namespaces[0]
    return spec


def _list(owner: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = owner.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}.{key}", "must be a list of objects")
    return value


def _name(spec: dict[str, Any], where: str, namespace: Namespace | None) -> str:
    name = spec.get("Name")
    if not isinstance(name, str) or not ENTITY_NAME.match(name):
        raise ConfigError(f"{where}.Name", f"{name!r} is not a valid entity name (letters, digits, '.', '-', "
                                           f"'_'; starting with a letter or digit)")
    if namespace is not None and (name.lower() in namespace.queues or name.lower() in namespace.topics):
        raise ConfigError(f"{where}.Name", f"an entity named '{name}' is already defined")
    return name


def _properties(spec: dict[str, Any], where: str, allowed: set[str]) -> dict[str, Any]:
    props = spec.get("Properties", {})
    if not isinstance(props, dict):
        raise ConfigError(f"{where}.Properties", "must be an object")
    for key in props:
        if key not in allowed:
            raise ConfigError(f"{where}.Properties.{key}", f"unknown property; expected one of "
                                                           f"{', '.join(sorted(allowed))}")
    return props


def _entity_settings(spec: dict[str, Any], where: str, allowed: set[str]) -> EntitySettings:
    props = _properties(spec, where, allowed)
    at = f"{where}.Properties"
    defaults = EntitySettings()
    if _bool(props, "RequiresSession", at, False):
        raise ConfigError(f"{at}.RequiresSession", "sessions are not supported by this emulator; set false")
    max_delivery = props.get("MaxDeliveryCount", defaults.max_delivery_count)
    if not isinstance(max_delivery, int) or isinstance(max_delivery, bool) or max_delivery < 1:
        raise ConfigError(f"{at}.MaxDeliveryCount", f"{max_delivery!r} must be a whole number of at least 1")
    return EntitySettings(
        lock_duration=_duration(props, "LockDuration", at, defaults.lock_duration),
        max_delivery_count=max_delivery,
        default_message_time_to_live=_duration(props, "DefaultMessageTimeToLive", at,
                                               defaults.default_message_time_to_live),
        dead_lettering_on_message_expiration=_bool(props, "DeadLetteringOnMessageExpiration", at, False),
        forward_to=_text(props, "ForwardTo", at),
        forward_dead_lettered_messages_to=_text(props, "ForwardDeadLetteredMessagesTo", at),
        requires_duplicate_detection=_bool(props, "RequiresDuplicateDetection", at, False),
        duplicate_detection_history_time_window=_duration(
            props, "DuplicateDetectionHistoryTimeWindow", at,
            defaults.duplicate_detection_history_time_window),
    )


def _topic_settings(spec: dict[str, Any], where: str) -> TopicSettings:
    props = _properties(spec, where, TOPIC_PROPERTIES)
    at = f"{where}.Properties"
    defaults = TopicSettings()
    return TopicSettings(
        default_message_time_to_live=_duration(props, "DefaultMessageTimeToLive", at,
                                               defaults.default_message_time_to_live),
        requires_duplicate_detection=_bool(props, "RequiresDuplicateDetection", at, False),
        duplicate_detection_history_time_window=_duration(
            props, "DuplicateDetectionHistoryTimeWindow", at,
            defaults.duplicate_detection_history_time_window),
    )


def _duration(props: dict[str, Any], key: str, at: str, default: timedelta) -> timedelta:
    if key not in props:
        return default
    value = parse_duration(props[key], f"{at}.{key}")
    if value <= timedelta(0):
        raise ConfigError(f"{at}.{key}", f"{props[key]!r} must be longer than zero")
    return value


def _bool(props: dict[str, Any], key: str, at: str, default: bool) -> bool:
    value = props.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{at}.{key}", f"{value!r} must be true or false")
    return value


def _text(props: dict[str, Any], key: str, at: str) -> str | None:
    value = props.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{at}.{key}", f"{value!r} must be a string (an entity name) or empty")
    return value or None


def _rule(spec: dict[str, Any], where: str) -> Rule:
    name = spec.get("Name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}.Name", "a rule needs a non-empty name")
    props = spec.get("Properties", {})
    if not isinstance(props, dict):
        raise ConfigError(f"{where}.Properties", "must be an object")
    action = props.get("Action")
    if action and (not isinstance(action, dict) or action.get("SqlExpression")):
        raise ConfigError(f"{where}.Properties.Action", "rule actions are not supported by this emulator")
    kind = str(props.get("FilterType", "")).lower()
    if kind == "correlation":
        at = f"{where}.Properties.CorrelationFilter"
        return Rule(name, _correlation(props.get("CorrelationFilter"), at))
    if kind == "sql":
        sql = props.get("SqlFilter")
        expression = sql.get("SqlExpression") if isinstance(sql, dict) else None
        if not isinstance(expression, str):
            raise ConfigError(f"{where}.Properties.SqlFilter.SqlExpression", "must be a string")
        try:
            return Rule(name, parse_sql(expression))
        except FilterError as exc:
            raise ConfigError(f"{where}.Properties.SqlFilter.SqlExpression", str(exc)) from None
    if kind in ("true", "truefilter"):
        return Rule(name, TrueFilter())
    raise ConfigError(f"{where}.Properties.FilterType",
                      f"{props.get('FilterType')!r} is not supported; use \"Correlation\" or \"Sql\"")


def _correlation(spec: Any, where: str) -> CorrelationFilter:
    if not isinstance(spec, dict) or not spec:
        raise ConfigError(where, "must be an object with at least one of CorrelationId, MessageId, To, "
                                 "ReplyTo, Label, ContentType, SessionId, Properties")
    system: dict[str, str] = {}
    properties: dict[str, Any] = {}
    for key, value in spec.items():
        lowered = key.lower()
        if lowered not in CORRELATION_KEYS:
            raise ConfigError(f"{where}.{key}", "unknown correlation filter key")
        if lowered == "properties":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}.Properties", "must be an object of name: value")
            properties.update(value)
        elif value not in (None, ""):
            system[SYSTEM_FIELDS[lowered]] = str(value)
    return CorrelationFilter(system, properties)


def _check_forwards(namespace: Namespace, spec: dict[str, Any], base: str) -> None:
    known = set(namespace.queues) | set(namespace.topics)
    entities = [(f"{base}.Queues[{i}]", q.main.settings) for i, q in enumerate(namespace.queues.values())]
    for t, topic in enumerate(namespace.topics.values()):
        entities += [(f"{base}.Topics[{t}].Subscriptions[{j}]", s.main.settings)
                     for j, s in enumerate(topic.subscriptions.values())]
    for where, settings in entities:
        for key, target in (("ForwardTo", settings.forward_to),
                            ("ForwardDeadLetteredMessagesTo", settings.forward_dead_lettered_messages_to)):
            if target and target.lower() not in known:
                raise ConfigError(f"{where}.Properties.{key}",
                                  f"'{target}' is not a queue or topic in this file")
