"""The pure Service Bus state machine: queues, topics, subscriptions, messages and locks.

Nothing here knows about AMQP or sockets. Time comes from an injected `Clock`, storage goes through a
`Journal` (in-memory by default, SQLite in durable mode), so every behaviour is testable with a fake clock.
"""

from servicebus_emulator.entities.model import (
    Clock,
    EntitySettings,
    IncomingMessage,
    Message,
    MessageState,
    SystemClock,
    SystemProperties,
    TopicSettings,
)
from servicebus_emulator.entities.namespace import Namespace
from servicebus_emulator.entities.persistence import Journal, MemoryJournal
from servicebus_emulator.entities.queue import MessageQueue

__all__ = [
    "Clock",
    "EntitySettings",
    "IncomingMessage",
    "Journal",
    "MemoryJournal",
    "Message",
    "MessageQueue",
    "MessageState",
    "Namespace",
    "SystemClock",
    "SystemProperties",
    "TopicSettings",
]
