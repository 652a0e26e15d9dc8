"""The namespace: addresses to entities, sending, topic fan-out, forwarding, dead-letter routing, time.

Queues and subscriptions hold their messages in `MessageQueue`s; this module decides where a sent,
forwarded or dead-lettered message lands and which sequence number it gets.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from servicebus_emulator.entities.model import (
    DEFAULT_MAX_MESSAGE_SIZE,
    FOREVER,
    Clock,
    EntitySettings,
    IncomingMessage,
    Message,
    MessageState,
    TopicSettings,
)
from servicebus_emulator.entities.persistence import Journal, MemoryJournal
from servicebus_emulator.entities.queue import MessageQueue
from servicebus_emulator.entities.topology import (
    DuplicateDetector,
    Queue,
    Rule,
    Sendable,
    Subscription,
    Topic,
)
from servicebus_emulator.errors import BadRequestError, EntityNotFoundError, MessageSizeExceededError

DEAD_LETTER_SUFFIX = "/$deadletterqueue"
SUBSCRIPTIONS = "/subscriptions/"
MAX_FORWARD_HOPS = 4  # Service Bus allows chains of up to 4 hops.


class Namespace:
    """All entities of the one emulated namespace."""

    def __init__(self, clock: Clock, journal: Journal | None = None,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.clock = clock
        self.journal: Journal = journal if journal is not None else MemoryJournal()
        self.max_message_size = max_message_size
        self.queues: dict[str, Queue] = {}
        self.topics: dict[str, Topic] = {}

    # -- building -----------------------------------------------------------------------------------

    def add_queue(self, name: str, settings: EntitySettings) -> Queue:
        key = name.lower()
        main, dlq = self._pair(key, settings)
        queue = Queue(key, settings.default_message_time_to_live, _detector(settings), main=main,
                      dead_letters=dlq)
        self.queues[key] = queue
        return queue

    def add_topic(self, name: str, settings: TopicSettings) -> Topic:
        key = name.lower()
        holding = MessageQueue(key, EntitySettings(), self.journal, honour_expiry=False)
        holding.listener = lambda q: self._release_scheduled(self.topics[key], q)
        topic = Topic(key, settings.default_message_time_to_live,
                      _detector(settings), scheduled=holding)
        self.topics[key] = topic
        return topic

    def add_subscription(self, topic: str, name: str, settings: EntitySettings,
                         rules: Iterable[Rule]) -> Subscription:
        owner = self._topic(topic)
        main, dlq = self._pair(f"{owner.name}{SUBSCRIPTIONS}{name.lower()}", settings)
        sub = Subscription(name.lower(), main, dlq, list(rules))
        owner.subscriptions[sub.name] = sub
        return sub

    def _pair(self, path: str, settings: EntitySettings) -> tuple[MessageQueue, MessageQueue]:
        dlq = MessageQueue(path + DEAD_LETTER_SUFFIX, settings, self.journal, honour_expiry=False)
        main = MessageQueue(path, settings, self.journal,
                            dead_letter_sink=lambda m: self._dead_lettered(settings, dlq, m))
        return main, dlq

    # -- addressing ---------------------------------------------------------------------------------

    def receivable(self, address: str, internal: bool = False) -> MessageQueue:
        """The message store behind a receive address, including dead-letter queues."""
        path = address.strip("/").lower()
        for queue in self._receivables(internal):
            if queue.path == path:
                return queue
        raise EntityNotFoundError(f"The messaging entity '{address}' could not be found.")

    def receivables(self) -> list[MessageQueue]:
        """Every queue, subscription and dead-letter queue a client can receive from."""
        return list(self._receivables())

    def _receivables(self, internal: bool = False) -> Iterator[MessageQueue]:
        for queue in self.queues.values():
            yield queue.main
            yield queue.dead_letters
        for topic in self.topics.values():
            if internal:  # a topic's scheduled messages are stored, but a topic is not receivable
                yield topic.scheduled
            for sub in topic.subscriptions.values():
                yield sub.main
                yield sub.dead_letters

    def sendable(self, address: str) -> Queue | Topic:
        key = address.strip("/").lower()
        target = self.queues.get(key) or self.topics.get(key)
        if target is None:
            raise EntityNotFoundError(f"The messaging entity '{address}' could not be found.")
        return target

    def _topic(self, name: str) -> Topic:
        topic = self.topics.get(name.lower())
        if topic is None:
            raise EntityNotFoundError(f"The messaging entity '{name}' could not be found.")
        return topic

    # -- sending ------------------------------------------------------------------------------------

    def send(self, address: str, incoming: IncomingMessage) -> list[int]:
        """Enqueue one message; returns the sequence numbers it got (empty when it was a duplicate)."""
        target = self.sendable(address)
        message = self._accept(incoming)
        now = message.enqueued_time
        if target.duplicates is not None:
            if target.duplicates.is_duplicate(message.message_id, now):
                return []
            self.journal.note_seen(target.name, message.message_id, now, target.duplicates.window)
        return self._route(target, message, 0)

    def schedule(self, address: str, incoming: IncomingMessage, at: datetime) -> int:
        """Hold a message until `at`; returns the sequence number used to cancel it."""
        target = self.sendable(address)
        message = self._accept(incoming)
        message.state = MessageState.SCHEDULED
        message.scheduled_enqueue_time = at
        message.sequence_number = self._next_sequence(target)
        store = target.main if isinstance(target, Queue) else target.scheduled
        store.add(message)
        return message.sequence_number

    def cancel_scheduled(self, address: str, sequence_numbers: Iterable[int]) -> None:
        target = self.sendable(address)
        store = target.main if isinstance(target, Queue) else target.scheduled
        store.cancel_scheduled(sequence_numbers)

    def _accept(self, incoming: IncomingMessage) -> Message:
        if incoming.size > self.max_message_size:
            raise MessageSizeExceededError(
                f"The received message (size {incoming.size} bytes) exceeds the limit "
                f"({self.max_message_size} bytes) currently allowed on the link.")
        system = incoming.system
        if not system.message_id:
            system = dataclasses.replace(system, message_id=uuid.uuid4().hex)
        if incoming.time_to_live is not None and incoming.time_to_live <= timedelta(0):
            raise BadRequestError("The message time to live must be positive.")
        now = self.clock.now()
        return Message(0, incoming.payload, system, dict(incoming.properties), now, incoming.time_to_live,
                       now + FOREVER, wire_cache=incoming.wire_cache)

    def _next_sequence(self, target: Sendable) -> int:
        target.last_sequence += 1
        self.journal.set_sequence(target.name, target.last_sequence)
        return target.last_sequence

    def _route(self, target: Queue | Topic, message: Message, hops: int) -> list[int]:
        if isinstance(target, Queue):
            forward = target.main.settings.forward_to
            if forward and hops < MAX_FORWARD_HOPS:
                return self._route(self.sendable(forward), message, hops + 1)
            copy = message.copy()
            copy.sequence_number = self._next_sequence(target)
            copy.expires_at = target.main.expiry(copy.time_to_live, copy.enqueued_time)
            target.main.add(copy)
            return [copy.sequence_number]
        seq = self._next_sequence(target)
        if message.time_to_live is None or message.time_to_live > target.default_ttl:
            message = dataclasses.replace(message, time_to_live=target.default_ttl)
        for sub in target.subscriptions.values():
            if sub.accepts(message):
                self._to_subscription(sub, message, seq, hops)
        return [seq]

    def _to_subscription(self, sub: Subscription, message: Message, seq: int, hops: int) -> None:
        forward = sub.main.settings.forward_to
        if forward and hops < MAX_FORWARD_HOPS:
            self._route(self.sendable(forward), message, hops + 1)
            return
        copy = message.copy()
        copy.sequence_number = seq
        copy.expires_at = sub.main.expiry(copy.time_to_live, copy.enqueued_time)
        sub.main.add(copy)

    def _dead_lettered(self, settings: EntitySettings, dlq: MessageQueue, message: Message) -> None:
        forward = settings.forward_dead_lettered_messages_to
        if forward:
            message.enqueued_time = self.clock.now()
            self._route(self.sendable(forward), message, 1)
            return
        message.expires_at = message.enqueued_time + FOREVER  # dead-lettered messages never expire
        dlq.add(message)

    def _release_scheduled(self, topic: Topic, holding: MessageQueue) -> None:
        # A topic-level scheduled message became active: fan it out now, keeping its sequence number.
        while (message := holding.take_next(self.clock.now())) is not None:
            for sub in topic.subscriptions.values():
                if sub.accepts(message):
                    self._to_subscription(sub, message, message.sequence_number, 0)

    # -- time and bookkeeping -----------------------------------------------------------------------

    def tick(self) -> None:
        now = self.clock.now()
        for queue in list(self._receivables(internal=True)):
            queue.tick(now)

    def restore(self) -> int:
        """Reload what the journal holds (durable mode); returns the number of messages restored."""
        snapshot = self.journal.load()
        for name, value in snapshot.sequences.items():
            target = self.queues.get(name) or self.topics.get(name)
            if target is not None:
                target.last_sequence = max(target.last_sequence, value)
        now = self.clock.now()
        for name, entries in snapshot.seen.items():
            target = self.queues.get(name) or self.topics.get(name)
            if target is not None and target.duplicates is not None:
                for message_id, seen_at in entries:
                    if seen_at + target.duplicates.window > now:
                        target.duplicates.remember(message_id, seen_at)
        count = 0
        for path, message in snapshot.items():
            message.lock_token = None  # locks do not survive a restart; the message is available again
            message.locked_until = None
            try:
                self.receivable(path, internal=True).add(message, persist=False)
            except EntityNotFoundError:
                continue  # the entity left the config since; its messages are dropped with it
            count += 1
        return count

    def summary(self) -> list[dict[str, Any]]:
        """Per receivable entity: active, dead-lettered, scheduled and deferred counts."""
        rows: list[dict[str, Any]] = []
        pairs = [(q.main, q.dead_letters) for q in self.queues.values()]
        pairs += [(s.main, s.dead_letters) for t in self.topics.values() for s in t.subscriptions.values()]
        for main, dlq in pairs:
            counts = main.counts()
            rows.append({"entity": main.path, "active": counts["active"], "deadletter": len(dlq),
                         "scheduled": counts["scheduled"], "deferred": counts["deferred"]})
        for topic in self.topics.values():
            rows.append({"entity": topic.name, "active": 0, "deadletter": 0,
                         "scheduled": len(topic.scheduled), "deferred": 0})
        return rows


def _detector(settings: EntitySettings | TopicSettings) -> DuplicateDetector | None:
    if not settings.requires_duplicate_detection:
        return None
    return DuplicateDetector(settings.duplicate_detection_history_time_window)
