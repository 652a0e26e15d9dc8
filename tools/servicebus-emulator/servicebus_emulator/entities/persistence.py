"""The storage seam of the state machine: a write-through journal of message changes.

Entities always keep their working state in memory; a `Journal` records each change so that a durable
implementation (SQLite in WAL mode, see `sqlite_journal`) can rebuild it after a crash. `MemoryJournal`,
the default, records nothing because memory is all there is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from servicebus_emulator.entities.model import Message


@dataclass
class Snapshot:
    """What a journal held at start-up: messages per entity path and the last sequence number per entity."""

    messages: dict[str, list[Message]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    seen: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)  # duplicate detection

    def items(self) -> Iterator[tuple[str, Message]]:
        for path, messages in self.messages.items():
            for message in messages:
                yield path, message


class Journal(Protocol):
    """Records changes; `commit` makes everything recorded so far durable before the broker acknowledges."""

    def put(self, entity: str, message: Message) -> None: ...

    def remove(self, entity: str, sequence_number: int) -> None: ...

    def set_sequence(self, entity: str, value: int) -> None: ...

    def note_seen(self, entity: str, message_id: str, seen_at: datetime, window: timedelta) -> None: ...

    def commit(self) -> None: ...

    def load(self) -> Snapshot: ...

    def close(self) -> None: ...


class MemoryJournal:
    """The in-memory default: nothing to record, nothing to load."""

    def put(self, entity: str, message: Message) -> None:
        pass

    def remove(self, entity: str, sequence_number: int) -> None:
        pass

    def set_sequence(self, entity: str, value: int) -> None:
        pass

    def note_seen(self, entity: str, message_id: str, seen_at: datetime, window: timedelta) -> None:
        pass

    def commit(self) -> None:
        pass

    def load(self) -> Snapshot:
        return Snapshot()

    def close(self) -> None:
        pass
