"""Subscription rule filters: the true filter, correlation filters and the common SQL filter forms.

SQL filters are parsed once, when the config loads, into a small expression tree; anything outside the
supported grammar raises `FilterError` there, naming the construct, instead of misrouting later. NULL
follows SQL's three-valued logic: a comparison with a missing property is unknown, and unknown never matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from servicebus_emulator.entities.model import SystemProperties
from servicebus_emulator.sql import Node, SqlFilterError, parse

__all__ = ["CorrelationFilter", "FilterError", "SqlFilter", "TrueFilter", "parse_sql"]

FilterError = SqlFilterError

# `sys.` names of the SQL filter language and the correlation filter's keys, mapped to our fields.
SYSTEM_FIELDS: dict[str, str] = {
    "messageid": "message_id",
    "correlationid": "correlation_id",
    "label": "subject",
    "subject": "subject",
    "to": "to",
    "replyto": "reply_to",
    "contenttype": "content_type",
    "sessionid": "session_id",
}


class TrueFilter:
    """Matches every message (`$Default` rule, `1=1`)."""

    def matches(self, system: SystemProperties, properties: Mapping[str, Any]) -> bool:
        return True


@dataclass(frozen=True)
class CorrelationFilter:
    """Matches when every given system property and application property equals the message's."""

    system: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)

    def matches(self, system: SystemProperties, properties: Mapping[str, Any]) -> bool:
        for name, expected in self.system.items():
            if _text(getattr(system, name)) != expected:
                return False
        for name, expected in self.properties.items():
            if name not in properties or not _equal(properties[name], expected):
                return False
        return True


@dataclass(frozen=True)
class SqlFilter:
    """A parsed SQL filter expression."""

    expression: str
    tree: Node

    def matches(self, system: SystemProperties, properties: Mapping[str, Any]) -> bool:
        return self.tree.evaluate(lambda name: _lookup(name, system, properties)) is True


def parse_sql(expression: str) -> SqlFilter:
    """Parse a SQL filter; raises FilterError with the position of what is not supported."""
    return SqlFilter(expression, parse(expression))


def _lookup(name: str, system: SystemProperties, properties: Mapping[str, Any]) -> Any:
    lowered = name.lower()
    if lowered.startswith("sys."):
        attribute = SYSTEM_FIELDS.get(lowered[4:])
        return None if attribute is None else _text(getattr(system, attribute))
    if lowered.startswith("user."):
        name = name[5:]
    if name in properties:
        return properties[name]
    # Property names are case-insensitive in Service Bus SQL filters.
    for key, value in properties.items():
        if key.lower() == name.lower():
            return value
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bytes):
        actual = actual.decode("utf-8", "replace")
    if isinstance(actual, bool) or isinstance(expected, bool):
        return bool(actual) == bool(expected) and type(actual) is type(expected)
    return bool(actual == expected)

