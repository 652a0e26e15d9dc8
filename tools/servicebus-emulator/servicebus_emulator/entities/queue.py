"""One receivable message store: a queue, a subscription or a dead-letter queue.

It owns the per-message life cycle: available → locked → completed, abandoned (delivery count + 1),
deferred or dead-lettered; lock expiry; TTL expiry; scheduled activation. Heaps with lazy invalidation keep
every timer sweep proportional to what is due, not to the queue length.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from servicebus_emulator.entities.model import EntitySettings, Message, MessageState
from servicebus_emulator.entities.persistence import Journal
from servicebus_emulator.errors import MessageLockLostError, MessageNotFoundError

MAX_DELIVERY_COUNT_EXCEEDED = "MaxDeliveryCountExceeded"
TTL_EXPIRED = "TTLExpiredException"
DEAD_LETTER_REASON = "DeadLetterReason"
DEAD_LETTER_DESCRIPTION = "DeadLetterErrorDescription"

DeadLetterSink = Callable[[Message], None]
Listener = Callable[["MessageQueue"], None]


def new_lock_token() -> UUID:
    """A random version-4 UUID; lock tokens need to be unique, not unguessable (half the cost of uuid4)."""
    return UUID(int=random.getrandbits(128), version=4)


class MessageQueue:
    """Messages of one receivable entity, addressed by sequence number and lock token."""

    def __init__(self, path: str, settings: EntitySettings, journal: Journal,
                 dead_letter_sink: DeadLetterSink | None = None, honour_expiry: bool = True) -> None:
        self.path = path
        self.settings = settings
        self._journal = journal
        self._dead_letter_sink = dead_letter_sink
        self._honour_expiry = honour_expiry
        self.listener: Listener | None = None
        self._messages: dict[int, Message] = {}
        self._available: list[int] = []
        self._locks: dict[UUID, Message] = {}
        self._lock_heap: list[tuple[datetime, UUID]] = []
        self._scheduled_heap: list[tuple[datetime, int]] = []
        self._expiry_heap: list[tuple[datetime, int]] = []

    # -- intake -------------------------------------------------------------------------------------

    def add(self, message: Message, persist: bool = True) -> None:
        """Store a message that already carries its sequence number and state."""
        self._messages[message.sequence_number] = message
        if persist:
            self._journal.put(self.path, message)
        if message.state is MessageState.SCHEDULED and message.scheduled_enqueue_time is not None:
            heapq.heappush(self._scheduled_heap, (message.scheduled_enqueue_time, message.sequence_number))
        elif message.state is MessageState.ACTIVE:
            self._make_available(message)

    def _make_available(self, message: Message) -> None:
        heapq.heappush(self._available, message.sequence_number)
        if self._honour_expiry:
            heapq.heappush(self._expiry_heap, (message.expires_at, message.sequence_number))
        if self.listener is not None:
            self.listener(self)

    # -- receiving ----------------------------------------------------------------------------------

    def lock_next(self, now: datetime) -> Message | None:
        """Peek-lock: hand out the next available message under a fresh lock."""
        message = self._pop_available(now)
        if message is not None:
            self._lock(message, now)
        return message

    def take_next(self, now: datetime) -> Message | None:
        """Receive-and-delete: remove and return the next available message."""
        message = self._pop_available(now)
        if message is not None:
            self._remove(message)
        return message

    def _pop_available(self, now: datetime) -> Message | None:
        while self._available:
            seq = heapq.heappop(self._available)
            message = self._messages.get(seq)
            if message is None or message.state is not MessageState.ACTIVE or message.lock_token:
                continue  # a stale heap entry: the message moved on since it was pushed
            if self._honour_expiry and message.expires_at <= now:
                self._expire(message)
                continue
            return message
        return None

    def _lock(self, message: Message, now: datetime) -> None:
        message.lock_token = new_lock_token()
        message.locked_until = now + self.settings.lock_duration
        self._locks[message.lock_token] = message
        heapq.heappush(self._lock_heap, (message.locked_until, message.lock_token))

    def _unlock(self, message: Message) -> None:
        if message.lock_token is not None:
            self._locks.pop(message.lock_token, None)
        message.lock_token = None
        message.locked_until = None

    def _remove(self, message: Message) -> None:
        self._unlock(message)
        self._messages.pop(message.sequence_number, None)
        self._journal.remove(self.path, message.sequence_number)

    # -- settlement ---------------------------------------------------------------------------------

    def locked(self, token: UUID, now: datetime) -> Message:
        """The message held under `token`, or MessageLockLostError if the lock expired or never existed."""
        message = self._locks.get(token)
        if message is None or message.locked_until is None:
            raise MessageLockLostError(f"The lock supplied is invalid: either it expired or the message was "
                                  f"already settled. Reference: {token}, entity: {self.path}")
        if message.locked_until <= now:
            self._lock_expired(message)
            raise MessageLockLostError(f"The lock {token} on {self.path} expired at {message.locked_until}.")
        return message

    def owns_lock(self, token: UUID) -> bool:
        return token in self._locks

    def complete(self, token: UUID, now: datetime) -> Message:
        message = self.locked(token, now)
        self._remove(message)
        return message

    def abandon(self, token: UUID, now: datetime, properties: dict[str, Any] | None = None) -> None:
        message = self.locked(token, now)
        message.properties.update(properties or {})
        self._failed_delivery(message)

    def release(self, token: UUID) -> None:
        """Put a locked message back without counting a delivery (AMQP `released`)."""
        message = self._locks.get(token)
        if message is not None:
            self._unlock(message)
            self._reactivate(message)

    def defer(self, token: UUID, now: datetime, properties: dict[str, Any] | None = None) -> None:
        message = self.locked(token, now)
        message.properties.update(properties or {})
        self._unlock(message)
        message.state = MessageState.DEFERRED
        self._journal.put(self.path, message)

    def dead_letter(self, token: UUID, now: datetime, reason: str | None, description: str | None,
                    properties: dict[str, Any] | None = None) -> None:
        message = self.locked(token, now)
        message.properties.update(properties or {})
        self._move_to_dead_letter(message, reason, description)

    def renew_lock(self, token: UUID, now: datetime) -> datetime:
        message = self.locked(token, now)
        message.locked_until = now + self.settings.lock_duration
        heapq.heappush(self._lock_heap, (message.locked_until, token))
        return message.locked_until

    def _failed_delivery(self, message: Message) -> None:
        self._unlock(message)
        message.delivery_count += 1
        if message.delivery_count >= self.settings.max_delivery_count and self._dead_letter_sink:
            self._move_to_dead_letter(message, MAX_DELIVERY_COUNT_EXCEEDED,
                                      f"Message could not be consumed after "
                                      f"{self.settings.max_delivery_count} delivery attempts.")
            return
        self._reactivate(message)

    def _reactivate(self, message: Message) -> None:
        self._journal.put(self.path, message)
        if message.state is MessageState.ACTIVE:
            self._make_available(message)

    def _move_to_dead_letter(self, message: Message, reason: str | None, description: str | None) -> None:
        if self._dead_letter_sink is None:
            # Already in a dead-letter queue: there is nowhere further to go, so it stays, updated.
            self._unlock(message)
            self._reactivate(message)
            return
        self._remove(message)
        if reason is not None:
            message.properties[DEAD_LETTER_REASON] = reason
        if description is not None:
            message.properties[DEAD_LETTER_DESCRIPTION] = description
        message.state = MessageState.ACTIVE
        message.dead_letter_source = self.path
        self._dead_letter_sink(message)

    # -- deferred, scheduled, peek ------------------------------------------------------------------

    def receive_deferred(self, sequence_numbers: Iterable[int], now: datetime,
                         peek_lock: bool = True) -> list[Message]:
        found = []
        for seq in sequence_numbers:
            message = self._messages.get(seq)
            if message is None or message.state is not MessageState.DEFERRED:
                raise MessageNotFoundError(f"No deferred message with sequence number {seq} in {self.path}.")
            found.append(message)
        for message in found:
            if peek_lock:
                self._unlock(message)
                self._lock(message, now)
            else:
                self._remove(message)
        return found

    def cancel_scheduled(self, sequence_numbers: Iterable[int]) -> None:
        for seq in sequence_numbers:
            message = self._messages.get(seq)
            if message is None or message.state is not MessageState.SCHEDULED:
                raise MessageNotFoundError(f"No scheduled message with sequence number {seq} in {self.path}.")
            self._remove(message)

    def peek(self, from_sequence_number: int, count: int) -> list[Message]:
        seqs = sorted(s for s in self._messages if s >= from_sequence_number)
        return [self._messages[s] for s in seqs[:count]]

    def purge(self) -> int:
        count = len(self._messages)
        for message in list(self._messages.values()):
            self._remove(message)
        self._available.clear()
        return count

    def counts(self) -> dict[str, int]:
        states = [m.state for m in self._messages.values()]
        return {
            "active": states.count(MessageState.ACTIVE),
            "deferred": states.count(MessageState.DEFERRED),
            "scheduled": states.count(MessageState.SCHEDULED),
            "locked": len(self._locks),
        }

    def __len__(self) -> int:
        return len(self._messages)

    # -- time ---------------------------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        """Apply everything due by `now`: lock expiry, scheduled activation, TTL expiry."""
        while self._lock_heap and self._lock_heap[0][0] <= now:
            _, token = heapq.heappop(self._lock_heap)
            message = self._locks.get(token)
            if message is not None and message.locked_until is not None and message.locked_until <= now:
                self._lock_expired(message)
        while self._scheduled_heap and self._scheduled_heap[0][0] <= now:
            _, seq = heapq.heappop(self._scheduled_heap)
            message = self._messages.get(seq)
            if message is not None and message.state is MessageState.SCHEDULED:
                self._activate(message, now)
        while self._expiry_heap and self._expiry_heap[0][0] <= now:
            _, seq = heapq.heappop(self._expiry_heap)
            message = self._messages.get(seq)
            if (message is not None and message.state is MessageState.ACTIVE and message.lock_token is None
                    and message.expires_at <= now):
                self._expire(message)

    def _lock_expired(self, message: Message) -> None:
        self._failed_delivery(message)

    def expiry(self, time_to_live: timedelta | None, enqueued: datetime) -> datetime:
        """When a message enqueued now expires here: the shorter of its own TTL and this entity's default."""
        ttl = self.settings.default_message_time_to_live
        if time_to_live is not None and time_to_live < ttl:
            ttl = time_to_live
        return enqueued + ttl

    def _activate(self, message: Message, now: datetime) -> None:
        message.state = MessageState.ACTIVE
        message.enqueued_time = now
        message.expires_at = self.expiry(message.time_to_live, now)
        self._journal.put(self.path, message)
        self._make_available(message)

    def _expire(self, message: Message) -> None:
        if self.settings.dead_lettering_on_message_expiration and self._dead_letter_sink is not None:
            self._move_to_dead_letter(message, TTL_EXPIRED, "The message expired and was dead lettered.")
        else:
            self._remove(message)
