"""The durable journal: SQLite in WAL mode under a data folder.

Changes are buffered per loop turn and written in one transaction by `commit()`, which the broker
calls before it acknowledges a send or a settlement; so an acknowledged operation survives a `kill -9`
of the process. The journal runs with `synchronous=NORMAL`: a committed transaction is in the WAL file
(the OS's page cache) before the acknowledgement leaves, which a process crash cannot lose; only an
OS crash or power cut could lose the last transactions (the standard WAL trade-off). A message that is
sent and completed within one turn never touches the disk. Messages are pickled as a flat tuple of
plain values (`_row`; five times cheaper than pickling the dataclass, whose datetimes, enum and nested
dataclass dominate a durable send); a row in any other format (a data folder from an older emulator) stops
the start with a ConfigError that says to delete the folder: it is the emulator's own local state.

A removal (complete, receive-and-delete, dead-letter move, ...) is written as a tombstone appended to
`removed` rather than as a delete in `messages`: a peek-lock client settles one message per turn, and
an append touches one page where a B-tree delete rebalances several. Tombstones are folded into
`messages` (one batched delete) before any message is written, when FOLD_AT of them have built up, and
at start-up, so a tombstone can never hide a later write.
"""

from __future__ import annotations

import pickle
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from servicebus_emulator.entities.model import Message, MessageState, SystemProperties
from servicebus_emulator.entities.persistence import Snapshot
from servicebus_emulator.errors import ConfigError

FILE_NAME = "servicebus-emulator.sqlite3"
PRUNE_EVERY = 200  # commits that recorded duplicate-detection history, between prunes of expired rows
FOLD_AT = 2000  # tombstones, before they are folded into `messages`
CACHE_KIB = 32 * 1024  # SQLite's page cache (the default 2 MB re-reads pages of a few thousand messages)
SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (entity TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
                                     PRIMARY KEY (entity, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS removed (entity TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (entity TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen (entity TEXT NOT NULL, message_id TEXT NOT NULL, seen_at REAL NOT NULL,
                                 expires_at REAL NOT NULL, PRIMARY KEY (entity, message_id)) WITHOUT ROWID;
"""
TOMBSTONE = "INSERT INTO removed VALUES (?, ?)"
FOLD = "DELETE FROM messages WHERE (entity, seq) IN (SELECT entity, seq FROM removed)"


class SqliteJournal:
    """A write-behind journal that is made durable at each `commit()`."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        # The loop thread is the only writer; check_same_thread is off so start-up can load elsewhere.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._db.executescript(SCHEMA)
        self._puts: dict[tuple[str, int], Message] = {}
        self._removes: set[tuple[str, int]] = set()
        self._sequences: dict[str, int] = {}
        self._seen: list[tuple[str, str, float, float]] = []
        self._seen_commits = 0
        # Tombstones that may be in `removed` (an over-estimate is safe: it only folds sooner).
        self._tombstones = 1

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
        if (len(self._removes) == 1 and not (self._puts or self._sequences or self._seen)
                and self._tombstones < FOLD_AT):
            # The peek-lock hot path, one settlement per turn: one statement, its own transaction.
            self._tombstones += 1
            self._db.execute(TOMBSTONE, self._removes.pop())
            return
        puts = [(e, s, _row(m)) for (e, s), m in self._puts.items()]
        with self._db:
            self._db.execute("BEGIN")
            folded = self._write_removes(bool(puts))
            if puts:
                self._db.executemany("INSERT OR REPLACE INTO messages VALUES (?, ?, ?)", puts)
            if self._sequences:
                self._db.executemany("INSERT OR REPLACE INTO sequences VALUES (?, ?)",
                                     list(self._sequences.items()))
            if self._seen:
                self._write_seen()
        if folded:
            self._tombstones = 0
        self._seen.clear()
        self._puts.clear()
        self._removes.clear()
        self._sequences.clear()

    def _write_removes(self, with_puts: bool) -> bool:
        """Settled messages: deleted outright beside puts or once enough piled up, else tombstoned (one
        cheap statement); True if the tombstones were folded away in this transaction."""
        if self._removes:
            if with_puts or self._tombstones + len(self._removes) >= FOLD_AT:
                self._db.executemany("DELETE FROM messages WHERE entity = ? AND seq = ?", list(self._removes))
            else:
                self._tombstones += len(self._removes)
                self._db.executemany(TOMBSTONE, list(self._removes))
        if self._tombstones and (with_puts or self._tombstones >= FOLD_AT):
            self._fold()
            return True
        return False

    def _write_seen(self) -> None:
        self._db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?)", self._seen)
        self._seen_commits += 1
        if self._seen_commits % PRUNE_EVERY == 0:
            # Times come from the namespace's clock (seen_at), never from this machine's.
            latest = max(row[2] for row in self._seen)
            self._db.execute("DELETE FROM seen WHERE expires_at <= ?", (latest,))

    def _fold(self) -> None:
        """Apply the tombstones to `messages` (inside the caller's transaction)."""
        self._db.execute(FOLD)
        self._db.execute("DELETE FROM removed")

    def load(self) -> Snapshot:
        with self._db:
            self._db.execute("BEGIN")
            self._fold()
        self._tombstones = 0
        snapshot = Snapshot()
        for entity, data in self._db.execute("SELECT entity, data FROM messages ORDER BY entity, seq"):
            message = _message(pickle.loads(data), self.path.parent)
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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
ROW_FORMAT = 1


def _row(message: Message) -> bytes:
    """A message as stored: lock state is not kept (locks do not survive a restart)."""
    system = message.system
    return pickle.dumps((
        ROW_FORMAT, message.sequence_number, message.payload,
        (system.message_id, system.correlation_id, system.subject, system.to, system.reply_to,
         system.content_type, system.session_id),
        message.properties, _us(message.enqueued_time),
        None if message.time_to_live is None else message.time_to_live // MICROSECOND,
        _us(message.expires_at), int(message.state),
        None if message.scheduled_enqueue_time is None else _us(message.scheduled_enqueue_time),
        message.delivery_count, message.dead_letter_source,
    ), protocol=pickle.HIGHEST_PROTOCOL)


def _message(stored: Any, folder: Path) -> Message:
    if not (isinstance(stored, tuple) and stored and stored[0] == ROW_FORMAT):
        raise ConfigError(str(folder), "holds messages in a format this emulator does not read (an older "
                          "version's local state): delete the folder, or start without --data")
    (_, sequence_number, payload, system, properties, enqueued, ttl, expires, state, scheduled,
     delivery_count, dead_letter_source) = stored
    return Message(sequence_number, payload, SystemProperties(*system), properties, _moment(enqueued),
                   None if ttl is None else ttl * MICROSECOND, _moment(expires), MessageState(state),
                   None if scheduled is None else _moment(scheduled), delivery_count,
                   dead_letter_source=dead_letter_source)


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def _moment(microseconds: int) -> datetime:
    return EPOCH + microseconds * MICROSECOND
