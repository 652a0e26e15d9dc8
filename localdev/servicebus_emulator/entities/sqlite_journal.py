"""The durable journal: SQLite in WAL mode under a data folder.

Changes are buffered per reactor turn and written in one transaction by `commit()`, which the broker
calls before it acknowledges a send or a settlement; so an acknowledged operation survives a `kill -9`
(WAL with synchronous=NORMAL is crash-safe for the process, not for a power cut). A message that is
sent and completed within one turn never touches the disk. Messages are pickled: this file is the
emulator's own local state, never shared input.
"""

from __future__ import annotations

import pickle
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from localdev.servicebus_emulator.entities.model import Message
from localdev.servicebus_emulator.entities.persistence import Snapshot

FILE_NAME = "servicebus-emulator.sqlite3"
PRUNE_EVERY = 200  # commits that recorded duplicate-detection history, between prunes of expired rows
SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (entity TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
                                     PRIMARY KEY (entity, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sequences (entity TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen (entity TEXT NOT NULL, message_id TEXT NOT NULL, seen_at REAL NOT NULL,
                                 expires_at REAL NOT NULL, PRIMARY KEY (entity, message_id)) WITHOUT ROWID;
"""


class SqliteJournal:
    """A write-behind journal that is made durable at each `commit()`."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        # The reactor thread is the only writer; check_same_thread is off so start-up can load elsewhere.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._puts: dict[tuple[str, int], Message] = {}
        self._removes: set[tuple[str, int]] = set()
        self._sequences: dict[str, int] = {}
        self._seen: list[tuple[str, str, float, float]] = []
        self._seen_commits = 0

    def put(self, entity: str, message: Message) -> None:
        key = (entity, message.sequence_number)
        self._removes.discard(key)
        self._puts[key] = message

    def remove(self, entity: str, sequence_number: int) -> None:
        key = (entity, sequence_number)
        self._puts.pop(key, None)
        self._removes.add(key)  # the row may exist from an earlier commit even if it was put this turn

    def set_sequence(self, entity: str, value: int) -> None:
        self._sequences[entity] = value

    def note_seen(self, entity: str, message_id: str, seen_at: datetime, window: timedelta) -> None:
        self._seen.append((entity, message_id, seen_at.timestamp(), (seen_at + window).timestamp()))

    def commit(self) -> None:
        if not (self._puts or self._removes or self._sequences or self._seen):
            return
        puts = [(e, s, pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL)) for (e, s), m in self._puts.items()]
        with self._db:
            self._db.execute("BEGIN")
            if self._removes:
                self._db.executemany("DELETE FROM messages WHERE entity = ? AND seq = ?", list(self._removes))
            if puts:
                self._db.executemany("INSERT OR REPLACE INTO messages VALUES (?, ?, ?)", puts)
            if self._sequences:
                self._db.executemany("INSERT OR REPLACE INTO sequences VALUES (?, ?)",
                                     list(self._sequences.items()))
            if self._seen:
                self._db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?)", self._seen)
                self._seen_commits += 1
                if self._seen_commits % PRUNE_EVERY == 0:
                    # Times come from the namespace's clock (seen_at), never from this machine's.
                    latest = max(row[2] for row in self._seen)
                    self._db.execute("DELETE FROM seen WHERE expires_at <= ?", (latest,))
        self._seen.clear()
        self._puts.clear()
        self._removes.clear()
        self._sequences.clear()

    def load(self) -> Snapshot:
        snapshot = Snapshot()
        for entity, data in self._db.execute("SELECT entity, data FROM messages ORDER BY entity, seq"):
            message: Message = pickle.loads(data)
            snapshot.messages.setdefault(entity, []).append(message)
        for entity, value in self._db.execute("SELECT entity, value FROM sequences"):
            snapshot.sequences[entity] = int(value)
        rows = self._db.execute("SELECT entity, message_id, seen_at FROM seen ORDER BY seen_at")
        for entity, message_id, seen_at in rows:
            moment = datetime.fromtimestamp(seen_at, UTC)
            snapshot.seen.setdefault(entity, []).append((message_id, moment))
        return snapshot

    def close(self) -> None:
        self.commit()
        self._db.close()
