"""A small selector loop around proton's protocol engine, in place of proton's Python `Container`.

The Container routes every engine event through several Python handler layers and adds selectable
and quiesce events of its own; at broker rates that overhead, not Service Bus logic, dominated the CPU
profile. Here each socket feeds a `Transport`, one `Collector` gathers the engine events, and each
event goes straight to the handler's `on_<event>` method. Other threads reach the loop through `call`
(a queue plus a wake-up socket); `schedule` runs a callback on the loop after a delay.

The per-event path talks to proton's C layer (`cproton_ffi.lib`) directly: wrapping an event in
proton's Python `Event` builds five or more wrapper objects, so an event becomes a Python `Event` only
when the handler has a method for its type, and a handler may claim hot event types first through
`raw_handlers()` (a map of event type to a callable that takes the raw `pn_event_t *` and returns
True when it handled the event). Output is written once per connection per pass, after every input
event of the turn has been processed (one `send` per connection per turn, not per event).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any

from cproton_ffi import ffi, lib
from proton import Collector, Connection, Event, EventType, Transport

log = logging.getLogger("servicebus_emulator.loop")
READ_SIZE = 256 * 1024
WRITE_SIZE = 256 * 1024
RawHandler = Callable[[Any], bool]
_wrap_event: Callable[[Any], Event] = Event.wrap  # proton leaves it untyped
TICK_TRANSPORTS_SECONDS = 1.0  # heartbeats / idle timeouts only need coarse ticks


class _Channel:
    """One accepted socket and the proton transport/connection bound to it."""

    def __init__(self, sock: socket.socket, collector: Collector) -> None:
        self.sock = sock
        self.transport = Transport(Transport.SERVER)
        sasl = self.transport.sasl()
        sasl.allowed_mechs("ANONYMOUS PLAIN")
        sasl.allow_insecure_mechs = True
        self.connection = Connection()
        self.connection.collect(collector)
        self.transport.bind(self.connection)
        self.blocked = False  # the socket's send buffer is full: wait for it to drain
        self._transport = self.transport._impl  # the C transport: the per-turn calls skip the wrappers

    def read(self) -> None:
        transport = self._transport
        capacity = lib.pn_transport_capacity(transport)
        if capacity < 0:
            return
        try:
            data = self.sock.recv(max(min(capacity, READ_SIZE), 1))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            if lib.pn_transport_push(transport, data, len(data)) < 0:
                lib.pn_transport_close_tail(transport)  # proton reports the error as a transport event
        else:
            lib.pn_transport_close_tail(transport)

    def write(self, buffer: bytearray, pointer: Any) -> None:
        """Send what the transport has pending, through `buffer` (whose C address is `pointer`)."""
        self.blocked = False
        transport, send = self._transport, self.sock.send
        while (pending := lib.pn_transport_pending(transport)) > 0:
            size = lib.pn_transport_peek(transport, pointer, min(pending, len(buffer)))
            try:
                sent = send(memoryview(buffer)[:size])
            except (BlockingIOError, InterruptedError):
                self.blocked = True
                return
            except OSError:
                lib.pn_transport_close_head(transport)
                return
            lib.pn_transport_pop(transport, sent)
        if pending < 0:
            lib.pn_transport_close_head(transport)


class EngineLoop:
    """Accepts connections on one listening socket and pumps proton events to `handler`."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        # The handler's hook that must run before any output is written (the durable commit).
        self._before_write: Callable[[], None] | None = getattr(handler, "before_write", None)
        self.collector = Collector()
        raw_handlers = getattr(handler, "raw_handlers", None)
        self._raw: dict[int, RawHandler] = dict(raw_handlers()) if raw_handlers is not None else {}
        self._methods: dict[int, Callable[[Event], None] | None] = {}
        self._out = bytearray(WRITE_SIZE)
        self._out_pointer = ffi.from_buffer(self._out)
        self.selector = selectors.DefaultSelector()
        self.channels: dict[socket.socket, _Channel] = {}
        self._by_connection: dict[Any, _Channel] = {}  # by the C connection (cffi pointers hash by address)
        self._active: set[_Channel] = set()
        self._calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._stopped = False
        self._listener: socket.socket | None = None

    def listen(self, host: str, port: int, backlog: int = 1024) -> int:
        sock = socket.create_server((host, port), backlog=backlog, reuse_port=False)
        sock.setblocking(False)
        self._listener = sock
        self.selector.register(sock, selectors.EVENT_READ, "listen")
        self.schedule(TICK_TRANSPORTS_SECONDS, self._tick_transports)
        return int(sock.getsockname()[1])

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._order), callback))

    def call_soon_threadsafe(self, callback: Callable[[], None]) -> None:
        self._calls.put(callback)
        with contextlib.suppress(OSError):  # the loop is gone; the caller's future times out
            self._wake_w.send(b"x")

    def stop(self) -> None:
        """Only from the loop thread (use call_soon_threadsafe from others)."""
        self._stopped = True

    def run(self) -> None:
        try:
            while not self._stopped:
                self._run_once()
        finally:
            self.close()

    def _run_once(self) -> None:
        timeout = max(0.0, self._timers[0][0] - time.monotonic()) if self._timers else None
        for key, mask in self.selector.select(timeout):
            if key.data == "listen":
                self._accept()
            elif key.data == "wake":
                self._run_calls()
            else:
                self._active.add(key.data)
                if mask & selectors.EVENT_READ:
                    key.data.read()
                if mask & selectors.EVENT_WRITE:
                    key.data.write(self._out, self._out_pointer)
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, callback = heapq.heappop(self._timers)
            self._guard(callback)
        self._process_events()

    def _process_events(self) -> None:
        # Writes can create events (e.g. transport closed) and events create writes: go until quiet.
        # Only channels that were read or had events can have output (proton raises a transport event
        # whenever a connection gets work), so idle connections cost nothing per turn.
        collector = self.collector._impl
        peek, pop, null = lib.pn_collector_peek, lib.pn_collector_pop, ffi.NULL
        while True:
            while (event := peek(collector)) != null:
                kind = lib.pn_event_type(event)
                connection = lib.pn_event_connection(event)
                if connection != null:
                    channel = self._by_connection.get(connection)
                    if channel is not None:
                        self._active.add(channel)
                raw = self._raw.get(kind)
                if raw is None or not raw(event):  # the handler guards itself
                    method = self._methods[kind] if kind in self._methods else self._method(kind)
                    if method is not None:
                        method(_wrap_event(event))
                pop(collector)
            if not self._made_durable():
                if peek(collector) == null:
                    return
                continue
            active, self._active = self._active, set()
            for channel in active:
                was_blocked = channel.blocked
                channel.write(self._out, self._out_pointer)
                if lib.pn_transport_closed(channel._transport):
                    self._drop(channel)
                elif channel.blocked != was_blocked:
                    interest = selectors.EVENT_READ | (selectors.EVENT_WRITE if channel.blocked else 0)
                    self.selector.modify(channel.sock, interest, channel)
            if peek(collector) == null:
                return

    def _method(self, kind: int) -> Callable[[Event], None] | None:
        event_type = EventType.TYPES.get(kind)
        method = getattr(self.handler, event_type.method, None) if event_type is not None else None
        self._methods[kind] = method
        return method

    def _made_durable(self) -> bool:
        """Run the before-write hook; if it fails, drop every connection rather than acknowledge."""
        if self._before_write is None:
            return True
        try:
            self._before_write()
            return True
        except Exception:
            log.exception("emulator: could not make this turn durable; disconnecting every client")
            for channel in list(self.channels.values()):
                channel.transport.close_tail()  # proton then reports the close to the broker
                channel.transport.close_head()
                self._drop(channel)
            self._active.clear()
            return False

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            sock, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # e.g. out of file descriptors: refuse this client, keep serving the rest
            log.warning("emulator: cannot accept a connection: %s", exc)
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        channel = _Channel(sock, self.collector)
        self.channels[sock] = channel
        self._by_connection[channel.connection._impl] = channel
        self.selector.register(sock, selectors.EVENT_READ, channel)

    def _drop(self, channel: _Channel) -> None:
        self.channels.pop(channel.sock, None)
        self._by_connection.pop(channel.connection._impl, None)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(channel.sock)
        channel.sock.close()

    def _run_calls(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while True:
            try:
                callback = self._calls.get_nowait()
            except queue.Empty:
                return
            self._guard(callback)

    def _tick_transports(self) -> None:
        now = time.monotonic()
        for channel in self.channels.values():
            channel.transport.tick(now)
        self.schedule(TICK_TRANSPORTS_SECONDS, self._tick_transports)

    @staticmethod
    def _guard(callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            log.exception("emulator: loop callback failed")

    def close(self) -> None:
        """Close every socket; only from the loop thread, or when the loop never ran."""
        for channel in list(self.channels.values()):
            self._drop(channel)
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self.selector.close()
