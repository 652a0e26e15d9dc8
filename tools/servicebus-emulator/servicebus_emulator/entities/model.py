"""Value types of the state machine: messages as the broker stores them, entity settings and the clock."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, Protocol
from uuid import UUID

# Service Bus treats TimeSpan.MaxValue as "never"; we use a large but datetime-safe horizon.
FOREVER = timedelta(days=3650 * 10)
DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024


class Clock(Protocol):
    """Where "now" comes from; tests pass a fake one they can advance."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class MessageState(IntEnum):
    """The `x-opt-message-state` annotation values."""

    ACTIVE = 0
    DEFERRED = 1
    SCHEDULED = 2


@dataclass(frozen=True)
class SystemProperties:
    """The broker-visible AMQP properties that filters and the DLQ logic read."""

    message_id: str | None = None
    correlation_id: str | None = None
    subject: str | None = None
    to: str | None = None
    reply_to: str | None = None
    content_type: str | None = None
    session_id: str | None = None


@dataclass
class IncomingMessage:
    """One message as a sender handed it over; `payload` is the sender's encoded message, kept opaque."""

    payload: bytes
    system: SystemProperties = field(default_factory=SystemProperties)
    properties: dict[str, Any] = field(default_factory=dict)
    time_to_live: timedelta | None = None
    scheduled_enqueue_time: datetime | None = None
    # Opaque to the state machine: how the wire layer found `payload` laid out, handed on to `Message`.
    wire_cache: Any = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass
class Message:
    """A message held by one queue, subscription or dead-letter queue."""

    sequence_number: int
    payload: bytes
    system: SystemProperties
    properties: dict[str, Any]
    enqueued_time: datetime
    time_to_live: timedelta | None
    expires_at: datetime
    state: MessageState = MessageState.ACTIVE
    scheduled_enqueue_time: datetime | None = None
    delivery_count: int = 0
    lock_token: UUID | None = None
    locked_until: datetime | None = None
    dead_letter_source: str | None = None
    # Opaque to the state machine: the wire layer caches how `payload` is laid out. Never persisted.
    wire_cache: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["wire_cache"] = None
        return state

    @property
    def message_id(self) -> str:
        return self.system.message_id or ""

    def copy(self) -> Message:
        """An independent copy (topic fan-out, forwarding): properties must not be shared."""
        return dataclasses.replace(self, properties=dict(self.properties), lock_token=None, locked_until=None)


@dataclass(frozen=True)
class EntitySettings:
    """The properties of a queue or subscription that change how its messages behave."""

    lock_duration: timedelta = timedelta(minutes=1)
    max_delivery_count: int = 10
    default_message_time_to_live: timedelta = FOREVER
    dead_lettering_on_message_expiration: bool = False
    forward_to: str | None = None
    forward_dead_lettered_messages_to: str | None = None
    requires_duplicate_detection: bool = False
    duplicate_detection_history_time_window: timedelta = timedelta(minutes=10)
    requires_session: bool = False


@dataclass(frozen=True)
class TopicSettings:
    """The properties of a topic."""

    default_message_time_to_live: timedelta = FOREVER
    requires_duplicate_detection: bool = False
    duplicate_detection_history_time_window: timedelta = timedelta(minutes=10)
