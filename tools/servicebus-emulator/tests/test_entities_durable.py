"""The SQLite journal under the state machine: what was committed is what a new namespace restores."""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from servicebus_emulator.config import build_namespace
from servicebus_emulator.entities import IncomingMessage, MessageState, Namespace, SystemProperties
from servicebus_emulator.entities.sqlite_journal import SqliteJournal
from servicebus_emulator.errors import ConfigError

pytestmark = [pytest.mark.emulator, pytest.mark.unit]

DOC = {"UserConfig": {"Namespaces": [{"Name": "ns", "Queues": [
    {"Name": "q", "Properties": {"LockDuration": "PT30S", "MaxDeliveryCount": 2}}]}]}}


def _open(clock: Any, folder: Path) -> Namespace:
    ns = build_namespace(DOC, clock, SqliteJournal(folder))
    ns.restore()
    return ns


def _send(ns: Namespace, body: bytes) -> int:
    (seq,) = ns.send("q", IncomingMessage(body, SystemProperties(message_id=body.decode())))
    return seq


def test_committed_state_survives_and_uncommitted_does_not(clock: Any, tmp_path: Path) -> None:
    ns = _open(clock, tmp_path)
    for body in (b"a", b"b", b"c", b"d"):
        _send(ns, body)
    queue = ns.receivable("q")
    first = queue.lock_next(clock.now())
    second = queue.lock_next(clock.now())
    assert first is not None and first.lock_token and second is not None and second.lock_token
    queue.complete(first.lock_token, clock.now())  # a completed
    queue.abandon(second.lock_token, clock.now())  # b counted once
    third = queue.lock_next(clock.now())
    assert third is not None and third.lock_token
    queue.defer(third.lock_token, clock.now())  # b or c deferred
    ns.journal.commit()
    _send(ns, b"never-committed")  # the "crash" comes before the commit

    again = _open(clock, tmp_path)
    messages = {m.message_id: m for m in again.receivable("q").peek(0, 10)}
    assert set(messages) == {"b", "c", "d"}
    assert messages["b"].delivery_count == 1
    assert sum(m.state is MessageState.DEFERRED for m in messages.values()) == 1
    assert all(m.lock_token is None for m in messages.values())
    assert _send(again, b"e") == 5  # continues after the last committed one (5 was never acknowledged)


def test_dead_letter_and_purge_are_journaled(clock: Any, tmp_path: Path) -> None:
    ns = _open(clock, tmp_path)
    _send(ns, b"x")
    _send(ns, b"y")
    queue = ns.receivable("q")
    message = queue.lock_next(clock.now())
    assert message is not None and message.lock_token
    queue.dead_letter(message.lock_token, clock.now(), "Reason", "why")
    queue.purge()
    ns.journal.commit()

    again = _open(clock, tmp_path)
    assert len(again.receivable("q")) == 0
    (dead,) = again.receivable("q/$DeadLetterQueue").peek(0, 10)
    assert dead.message_id == "x" and dead.properties["DeadLetterReason"] == "Reason"


def test_duplicate_detection_history_survives_a_restart(clock: Any, tmp_path: Path) -> None:
    doc = {"UserConfig": {"Namespaces": [{"Name": "ns", "Queues": [{"Name": "q", "Properties": {
        "RequiresDuplicateDetection": True, "DuplicateDetectionHistoryTimeWindow": "PT10M"}}]}]}}
    ns = build_namespace(doc, clock, SqliteJournal(tmp_path))
    ns.send("q", IncomingMessage(b"1", SystemProperties(message_id="same")))
    ns.journal.commit()

    again = build_namespace(doc, clock, SqliteJournal(tmp_path))
    again.restore()
    assert again.send("q", IncomingMessage(b"2", SystemProperties(message_id="same"))) == []
    clock.advance(minutes=11)
    later = build_namespace(doc, clock, SqliteJournal(tmp_path))
    later.restore()
    assert later.send("q", IncomingMessage(b"3", SystemProperties(message_id="same"))) == [2]


def test_a_row_in_another_format_stops_the_start_with_what_to_do(clock: Any, tmp_path: Path) -> None:
    """An older emulator's data folder is not read half-way: the start fails with one actionable line."""
    path = SqliteJournal(tmp_path).path
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO messages VALUES (?, ?, ?)", ("q", 1, pickle.dumps({"old": "row"})))
    with pytest.raises(ConfigError, match="delete the folder"):
        build_namespace(DOC, clock, SqliteJournal(tmp_path)).restore()
