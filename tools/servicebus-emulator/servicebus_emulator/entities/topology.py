"""The shapes of the namespace: send targets (queues, topics), subscriptions with rules, dedup windows."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from servicebus_emulator.entities.model import Message, SystemProperties
from servicebus_emulator.entities.queue import MessageQueue


class Filter(Protocol):
    def matches(self, system: SystemProperties, properties: dict[str, Any]) -> bool: ...


@dataclass
class Rule:
    name: str
    filter: Filter


class DuplicateDetector:
    """Remembers message ids for a time window; insertion order is time order, so pruning is cheap."""

    def __init__(self, window: timedelta) -> None:
        self._window = window
        self._seen: OrderedDict[str, datetime] = OrderedDict()

    def is_duplicate(self, message_id: str, now: datetime) -> bool:
        while self._seen:
            oldest_id, seen_at = next(iter(self._seen.items()))
            if seen_at + self._window > now:
                break
            del self._seen[oldest_id]
        if message_id in self._seen:
            return True
        self._seen[message_id] = now
        return False

    def remember(self, message_id: str, seen_at: datetime) -> None:
        """Reload history after a restart (durable mode); callers pass entries oldest first."""
        self._seen[message_id] = seen_at

    @property
    def window(self) -> timedelta:
        return self._window


@dataclass
class Sendable:
    """What queues and topics share as send targets: a sequence counter and duplicate detection."""

    name: str
    default_ttl: timedelta
    duplicates: DuplicateDetector | None
    last_sequence: int = 0


@dataclass
class Queue(Sendable):
    main: MessageQueue = field(kw_only=True)
    dead_letters: MessageQueue = field(kw_only=True)


@dataclass
class Subscription:
    name: str
    main: MessageQueue
    dead_letters: MessageQueue
    rules: list[Rule]

    def accepts(self, message: Message) -> bool:
        return any(rule.filter.matches(message.system, message.properties) for rule in self.rules)


@dataclass
class Topic(Sendable):
    subscriptions: dict[str, Subscription] = field(default_factory=dict, kw_only=True)
    scheduled: MessageQueue = field(kw_only=True)  # topic-level scheduled messages wait here
