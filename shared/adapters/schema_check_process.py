"""The pain.001 XSD check of a big document in a helper process, so it runs on another core as it is written.

lxml holds the GIL while it validates, so in one process the check (about a third of the creator's CPU for
a big file) adds to the writing, and a thread cannot overlap it. A helper process can: the creator writes
and uploads while the helper validates what it was sent. The verdict is the same `StreamingCheck`'s, and
the creator still commits only a document that validated.

One helper per app process (`python -m shared.adapters.schema_check_process`), started by the first
document of any size (a small one is still checked in process; the helper then gets ready for the first
big one in the background) and kept. It reads the document in frames on its stdin (4-byte big-endian
length, then the bytes; length 0 ends a document) and answers each document with one frame of JSON
(`{"error": null}` or the first error). It exits when its stdin closes, which is also what happens when
the app process ends however it ends, so it never outlives its parent. It serves one document at a time:
`HelperProcessChecks.open` gives the helper's check only for a document of at least
`HELPER_MIN_TRANSACTIONS` payments, on a POSIX machine with two cores or more, and when the helper is
free; otherwise the in-process `StreamingCheck`.

A helper that dies, stops answering (`ANSWER_TIMEOUT`) or answers nonsense is discarded (the next big
document starts a new one) and `first_error` raises `SchemaCheckUnavailable`: the caller then checks the
document in its own process.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO, BinaryIO

from shared.domain.pain001 import StreamingCheck
from shared.ports import SchemaCheck, SchemaCheckUnavailable
from shared.streams import Blocks

log = logging.getLogger(__name__)
HELPER_MIN_TRANSACTIONS = 20_000  # about 7 MB of pain.001, 0.2 s of checking: below, a helper gains little
FRAME = 1 << 18  # bytes sent at a time (the in-process check's block)
ANSWER_TIMEOUT = 120.0  # seconds from the end of a document to its verdict (the helper lags a pipe's worth)
PIPE_SIZE = 1 << 20  # the pipe buffer asked for, so the writer rarely waits for the helper
_LENGTH = struct.Struct(">I")


class HelperProcessChecks:
    """`SchemaChecks`: a big document is checked in the helper process, anything else in this one."""

    def __init__(self, min_transactions: int = HELPER_MIN_TRANSACTIONS, cores: int | None = None) -> None:
        self._min = min_transactions
        # Pipes are waited on with select() and sized with fcntl: POSIX only (Azure's Python workers are
        # Linux). Elsewhere (`func start` on Windows) every check stays in process.
        self._cores = (_cores() if cores is None else cores) if os.name == "posix" else 1
        self._helper = _Helper()
        self._warmed = False  # the first document got the helper going (once: one that dies is not chased)
        atexit.register(self._helper.stop)

    @contextlib.contextmanager
    def open(self, transactions: int) -> Iterator[SchemaCheck]:
        if self._cores < 2 or transactions < self._min or not self._helper.reserve():
            if self._cores >= 2 and not self._warmed:
                self._warm()
            yield StreamingCheck()
            return
        check = _HelperCheck(self._helper)
        try:
            yield check
        finally:
            check.close()

    def _warm(self) -> None:
        """Start the helper now, without waiting for it, if none runs: an app that creates files is
        likely to create a big one, and the helper's start (Python, lxml, the XSD: ~0.15 s of the other
        core) would otherwise come first on that document's path, where the helper is the slower side
        (measured: a 100,000-payment creator 1.16-1.22 s with a running helper, 1.38-1.39 s starting it)."""
        self._warmed = True
        if not self._helper.reserve():
            return  # a document holds it: it runs
        try:
            self._helper.pipes()
        except OSError as exc:  # the big document will try again, and check in process if it must
            log.warning("could not start the pain.001 check helper ahead of a big document: %s", exc)
        finally:
            self._helper.release()

    @property
    def helper_pid(self) -> int | None:
        """The running helper's process id, if one runs."""
        return self._helper.pid

    def stop(self) -> None:
        """Stop the helper (it starts again on the next big document)."""
        self._helper.stop()


class _Helper:
    """The helper process and who holds it; started when first reserved, discarded when it misbehaves."""

    def __init__(self) -> None:
        self._busy = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def reserve(self) -> bool:
        """Hold the helper for one document (False: another document has it)."""
        return self._busy.acquire(blocking=False)

    def release(self) -> None:
        self._busy.release()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        """The running helper's stdin and stdout (started now if it is not running); the caller holds it."""
        process = self._process
        if process is None or process.poll() is not None:
            process = self._process = _start()
        assert process.stdin is not None and process.stdout is not None
        return process.stdin, process.stdout

    def discard(self, why: str) -> None:
        log.warning("the pain.001 check helper %s; it is stopped (the next big document starts another)", why)
        self.stop()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()  # the helper exits on end of input
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start() -> subprocess.Popen[bytes]:
    # The helper imports this app's packages as the parent does: the parent's import path, in order.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    process = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=env)  # fmt: skip
    assert process.stdin is not None
    import fcntl  # POSIX only: HelperProcessChecks never starts a helper elsewhere

    with contextlib.suppress(OSError, AttributeError):  # Linux only; a smaller pipe only means more waits
        fcntl.fcntl(process.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    log.info("started the pain.001 check helper (pid %d) for big documents", process.pid)
    return process


class _HelperCheck:
    """One document sent to the reserved helper as it is written; `first_error` waits for its verdict."""

    def __init__(self, helper: _Helper) -> None:
        self._helper = helper
        self._blocks = Blocks(FRAME)
        self._stdin: IO[bytes] | None = None
        self._stdout: IO[bytes] | None = None
        self._failure: str | None = None  # why no verdict can be had
        self._answered = False
        self._error: str | None = None  # the verdict, once answered
        self._released = False
        try:
            self._stdin, self._stdout = helper.pipes()
        except OSError as exc:
            self._failure = f"could not be started ({exc})"

    def write(self, data: bytes) -> int:
        if self._failure is None and (block := self._blocks.add(data)) is not None:
            self._frame(block)
        return len(data)

    def first_error(self) -> str | None:
        if not self._answered and self._failure is None:
            if block := self._blocks.rest():
                self._frame(block)
            self._frame(b"")
            if self._failure is None:
                self._answer()
        if not self._answered:
            self._give_up()
            raise SchemaCheckUnavailable(f"the pain.001 check helper {self._failure}")
        return self._error

    def close(self) -> None:
        """End the document (a caller that stopped writing midway ends it here, the verdict unread)."""
        if not self._answered and self._failure is None:
            with contextlib.suppress(SchemaCheckUnavailable):
                self.first_error()
        if self._failure is not None:
            self._give_up()
        self._release()

    def _frame(self, data: bytes) -> None:
        if self._failure is not None or self._stdin is None:
            return
        try:
            self._stdin.write(_LENGTH.pack(len(data)))
            self._stdin.write(data)
            if not data:
                self._stdin.flush()
        except OSError as exc:  # BrokenPipeError: the helper is gone
            self._failure = f"stopped taking the document ({exc})"

    def _answer(self) -> None:
        """Wait for the verdict: `_answered` and `_error`, or `_failure` saying why there is none."""
        assert self._stdout is not None
        ready, _, _ = select.select([self._stdout], [], [], ANSWER_TIMEOUT)
        if not ready:
            self._failure = f"gave no verdict within {ANSWER_TIMEOUT:.0f} s"
            return
        try:
            body = _read_frame(self._stdout)
            verdict = json.loads(body) if body is not None else None
        except (OSError, ValueError) as exc:
            self._failure = f"answered something unreadable ({exc})"
            return
        if verdict is None:
            self._failure = "ended before it answered"
            return
        error = verdict.get("error") if isinstance(verdict, dict) else 0
        if error is not None and not isinstance(error, str):
            self._failure = f"answered something unreadable ({verdict!r:.100})"
            return
        self._answered, self._error = True, error

    def _give_up(self) -> None:
        if not self._released:
            self._helper.discard(self._failure or "failed")
            self._release()

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self._helper.release()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame's bytes; None at a clean end of input. A frame cut short is an `OSError`."""
    head = stream.read(_LENGTH.size)
    if not head:
        return None
    if len(head) < _LENGTH.size:
        raise OSError("input ended inside a frame's length")
    (length,) = _LENGTH.unpack(head)
    body = stream.read(length)
    if len(body) < length:
        raise OSError("input ended inside a frame")
    return body


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    """The helper's loop: check each document `source` carries, answer each on `sink`, until its end."""
    while True:
        check = StreamingCheck()
        while (block := _read_frame(source)) is not None and block:
            check.write(block)
        if block is None:
            return  # the parent closed our input: nothing is half-answered, so stop
        answer = json.dumps({"error": check.first_error()}).encode()
        sink.write(_LENGTH.pack(len(answer)) + answer)
        sink.flush()


if __name__ == "__main__":
    with contextlib.suppress(OSError):  # input cut inside a frame, or the parent gone: it is not waiting
        serve(sys.stdin.buffer, sys.stdout.buffer)
