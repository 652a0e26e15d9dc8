"""The proton glue: connections, links, CBS, credit, dispatch and the settlement echo.

Every proton callback is guarded (an exception in a handler would end the loop for every client) and
ends by dispatching to consumers of any queue whose messages became available. Deliveries under a
peek-lock are held by lock token until the client settles them, the link closes, or management settles.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cproton_ffi import ffi, lib
from proton import Delivery, Endpoint, Event, Handler, Link, Message, Terminus

from servicebus_emulator import management
from servicebus_emulator.codec import decode_transfer, encode_delivery
from servicebus_emulator.entities import MessageQueue, Namespace
from servicebus_emulator.errors import EmulatorError, MessageDecodeError, MessageSizeExceededError
from servicebus_emulator.links import Held, LinkRole, normalize, send_reply
from servicebus_emulator.settlement import apply_outcome, error_condition

log = logging.getLogger("servicebus_emulator.amqp")

CBS = "$cbs"
MANAGEMENT_SUFFIX = "/$management"
SEND_CREDIT = 500

F = TypeVar("F", bound=Callable[..., None])


@dataclass
class BrokerState:
    consumers: dict[MessageQueue, list[Link]] = field(default_factory=dict)
    held: dict[bytes, Held] = field(default_factory=dict)  # by delivery tag (the lock token's bytes_le)
    dirty: set[MessageQueue] = field(default_factory=set)
    connections: set[Any] = field(default_factory=set)
    peak_connections: int = 0


def guarded(method: F) -> F:
    """Log instead of raising (one bad client must not stop the broker), then dispatch what became ready."""

    @functools.wraps(method)
    def wrapper(self: Broker, event: Event) -> None:
        try:
            method(self, event)
            self.flush()
        except Exception:
            log.exception("emulator: %s failed", method.__name__)

    return wrapper  # type: ignore[return-value]


class Broker(Handler):
    """The engine-event handler; owns no Service Bus semantics beyond translating to the Namespace."""

    def __init__(self, namespace: Namespace, max_message_size: int) -> None:
        super().__init__()
        self.ns = namespace
        self.max_message_size = max_message_size
        self.state = BrokerState()
        for queue in namespace.receivables():
            queue.listener = self.state.dirty.add

    # -- connection and session ---------------------------------------------------------------------

    @guarded
    def on_connection_bound(self, event: Any) -> None:
        sasl = event.transport.sasl()
        sasl.allowed_mechs("ANONYMOUS PLAIN")
        sasl.allow_insecure_mechs = True

    @guarded
    def on_connection_remote_open(self, event: Any) -> None:
        if event.connection.state & Endpoint.LOCAL_UNINIT:
            event.connection.container = "servicebus-emulator"
            event.connection.open()
            self.state.connections.add(event.connection)
            self.state.peak_connections = max(self.state.peak_connections, len(self.state.connections))

    @guarded
    def on_session_remote_open(self, event: Any) -> None:
        if event.session.state & Endpoint.LOCAL_UNINIT:
            event.session.open()

    @guarded
    def on_session_remote_close(self, event: Any) -> None:
        event.session.close()

    @guarded
    def on_connection_remote_close(self, event: Any) -> None:
        self._drop_connection(event.connection)
        event.connection.close()

    @guarded
    def on_transport_closed(self, event: Any) -> None:
        if event.connection is not None:
            self._drop_connection(event.connection)
            event.connection.free()

    # -- links --------------------------------------------------------------------------------------

    @guarded
    def on_link_remote_open(self, event: Any) -> None:
        link: Any = event.link
        if not link.state & Endpoint.LOCAL_UNINIT:
            return
        link.source.copy(link.remote_source)
        link.target.copy(link.remote_target)
        link.snd_settle_mode = link.remote_snd_settle_mode
        link.rcv_settle_mode = link.remote_rcv_settle_mode
        address = normalize(link.remote_source.address if link.is_sender else link.remote_target.address)
        try:
            role = self._role(link, address)
        except EmulatorError as exc:
            if link.is_sender:
                link.source.type = Terminus.UNSPECIFIED
            link.open()
            link.condition = error_condition(exc)
            link.close()
            return
        link.sb_role = role
        if link.is_receiver:
            link.max_message_size = self.max_message_size
        link.open()
        if link.is_receiver:
            link.flow(SEND_CREDIT)
        elif role.queue is not None:
            self.state.consumers.setdefault(role.queue, []).append(link)

    def _role(self, link: Any, address: str) -> LinkRole:
        lowered = address.lower()
        if lowered == CBS:
            return LinkRole("cbs", address)
        if lowered.endswith(MANAGEMENT_SUFFIX):
            entity = address[: -len(MANAGEMENT_SUFFIX)]
            management.check_entity(self.ns, entity)
            return LinkRole("management", entity)
        if link.is_receiver:
            self.ns.sendable(address)
            return LinkRole("send", address)
        queue = self.ns.receivable(address)
        peek_lock = link.remote_snd_settle_mode != Link.SND_SETTLED
        return LinkRole("receive", address, queue, peek_lock)

    @guarded
    def on_link_remote_close(self, event: Any) -> None:
        self._drop_link(event.link)
        event.link.close()

    @guarded
    def on_link_flow(self, event: Any) -> None:
        link: Any = event.link
        if link.is_sender and "sb_role" in link._attrs:
            self._pump(link)
            if link.drain_mode and link.credit > 0:
                link.drained()

    def _drop_link(self, link: Any) -> None:
        role: LinkRole | None = link._attrs.get("sb_role")
        if role is None or role.queue is None:
            return
        consumers = self.state.consumers.get(role.queue, [])
        if link in consumers:
            consumers.remove(link)
        now = self.ns.clock.now()
        for tag, held in list(self.state.held.items()):
            if held.link == link:
                del self.state.held[tag]
                if held.queue.owns_lock(held.token):
                    self._settle_quietly(functools.partial(held.queue.abandon, held.token, now))

    def _drop_connection(self, connection: Any) -> None:
        self.state.connections.discard(connection)
        link = connection.link_head(0)
        while link is not None:
            self._drop_link(link)
            link.sb_role = None
            link = link.next(0)

    @staticmethod
    def _settle_quietly(action: Callable[[], None]) -> None:
        # A lock that already expired was counted by the timer sweep; nothing more to do.
        with contextlib.suppress(EmulatorError):
            action()

    # -- dispatch -----------------------------------------------------------------------------------

    def before_write(self) -> None:
        """Called by the loop before any bytes leave: acknowledgements go out only once durable.

        One commit covers every send and settlement of the turn (group commit in durable mode)."""
        self.ns.journal.commit()

    def flush(self) -> None:
        while self.state.dirty:
            queue = self.state.dirty.pop()
            for link in list(self.state.consumers.get(queue, [])):
                self._pump(link)

    def _pump(self, link: Any) -> None:
        role: LinkRole | None = link._attrs.get("sb_role")
        if role is None or role.queue is None or not link.state & Endpoint.LOCAL_ACTIVE:
            return
        # The delivery hot path: proton's C calls directly, no wrapper objects per message.
        queue, now, peek_lock, held = role.queue, self.ns.clock.now(), role.peek_lock, self.state.held
        impl = link._impl
        while lib.pn_link_credit(impl) > 0:
            message = queue.lock_next(now) if peek_lock else queue.take_next(now)
            if message is None:
                break
            encoded = encode_delivery(message, peek_lock)
            token = message.lock_token  # None in receive-and-delete
            # The lock token is the tag, in .NET GUID byte order.
            tag = token.bytes_le if token is not None else _random_tag()
            delivery = lib.pn_delivery(impl, (len(tag), ffi.from_buffer(tag)))
            if lib.pn_link_send(impl, encoded, len(encoded)) < 0:
                raise RuntimeError(f"proton refused a delivery on {role.address}")
            lib.pn_link_advance(impl)
            if token is not None:
                held[tag] = Held(delivery, queue, link, token)
            else:
                # Receive-and-delete: removed now, journaled before the bytes leave.
                lib.pn_delivery_settle(delivery)

    # -- deliveries ---------------------------------------------------------------------------------

    @guarded
    def on_delivery(self, event: Any) -> None:
        link: Any = event.link
        delivery: Any = event.delivery
        if link.is_receiver:
            if delivery.readable and not delivery.partial:
                self._on_transfer(link, delivery)
        elif delivery.updated or delivery.remote_settled:
            self._on_disposition(delivery)

    def _on_transfer(self, link: Any, delivery: Any) -> None:
        raw = link.recv(delivery.pending)
        link.advance()
        role: LinkRole | None = link._attrs.get("sb_role")
        if link.credit < SEND_CREDIT // 2:
            link.flow(SEND_CREDIT - link.credit)
        if role is None or raw is None:
            delivery.settle()
            return
        if role.kind in ("cbs", "management"):
            self._on_request(link, role, raw)
            delivery.update(Delivery.ACCEPTED)
        else:
            try:
                self._enqueue(role.address, raw)
                delivery.update(Delivery.ACCEPTED)
            except EmulatorError as exc:
                delivery.local.condition = error_condition(exc)
                delivery.update(Delivery.REJECTED)
        delivery.settle()

    def _on_request(self, link: Any, role: LinkRole, raw: bytes) -> None:
        request = Message()
        request.decode(raw)
        reply = (management.put_token(request) if role.kind == "cbs"
                 else management.handle(self, role.address, request))
        send_reply(link, request, reply)

    def _enqueue(self, address: str, raw: bytes) -> None:
        try:
            incoming = decode_transfer(raw)
        except Exception as exc:  # proton's decode errors have no common base worth naming
            raise MessageDecodeError(f"The message could not be decoded as AMQP 1.0: {exc}") from None
        # A batch is measured by its messages, not its envelope: the SDK fills batches up to the
        # link's limit without counting the envelope's few bytes.
        size = sum(message.size for message in incoming)
        if size > self.max_message_size:
            raise MessageSizeExceededError(
                f"The received message (size {size} bytes) exceeds the limit "
                f"({self.max_message_size} bytes) currently allowed on the link.")
        for message in incoming:
            self.ns.send(address, message)

    def raw_handlers(self) -> dict[int, Callable[[Any], bool]]:
        """Event types the loop offers here first, as raw C events (see `loop.EngineLoop`)."""
        return {lib.PN_DELIVERY: self._on_completed}

    def _on_completed(self, event: Any) -> bool:
        """The peek-lock hot path, without proton's Python wrappers: a client completing a message.

        Only `accepted` on a held delivery is handled here (complete, then the settlement echo); every
        other delivery event returns False and takes the general path through `on_delivery`."""
        try:
            delivery = lib.pn_event_delivery(event)
            if (not lib.pn_link_is_sender(lib.pn_delivery_link(delivery))
                    or not lib.pn_delivery_updated(delivery)
                    or lib.pn_delivery_remote_state(delivery) != lib.PN_ACCEPTED):
                return False
            held = self.state.held.pop(_tag(delivery), None)
            if held is None:
                return False
            self._conclude(held, lib.PN_ACCEPTED)
            self.flush()
        except Exception:
            log.exception("emulator: on_delivery failed")
        return True

    def _on_disposition(self, delivery: Any) -> None:
        held = self.state.held.pop(_tag(delivery._impl), None)
        if held is None or delivery.remote_state is None:
            if delivery.remote_settled:
                delivery.settle()
            return
        self._conclude(held, delivery.remote_state)

    def _conclude(self, held: Held, outcome: Any) -> None:
        """Both ways in end here: apply the client's outcome to the queue, echo it, settle the delivery.

        THE SETTLEMENT ECHO: azure-servicebus waits for the broker to settle with the same outcome. A
        completion (`accepted`, the peek-lock hot path) needs only proton's C calls; other outcomes read the
        client's disposition, and an error writes the rejection, through proton's Python wrapper."""
        pointer, now = held.pointer, self.ns.clock.now()
        try:
            if outcome == lib.PN_ACCEPTED:
                held.queue.complete(held.token, now)
                lib.pn_delivery_update(pointer, lib.PN_ACCEPTED)
            else:
                delivery = held.delivery
                apply_outcome(held.queue, held.token, delivery.remote, outcome, now)
                delivery.update(outcome)
        except EmulatorError as exc:
            rejected = held.delivery
            rejected.local.condition = error_condition(exc)
            rejected.update(Delivery.REJECTED)
        lib.pn_delivery_settle(pointer)

    def settle_held(self, token: uuid.UUID) -> None:
        """Management settled a message that is also an open delivery: settle that delivery quietly."""
        held = self.state.held.pop(token.bytes_le, None)
        if held is not None and not held.delivery.settled:
            held.delivery.settle()


def _random_tag() -> bytes:
    """A receive-and-delete delivery's tag: 16 random bytes, like a lock token, without a syscall."""
    return random.getrandbits(128).to_bytes(16, "little")


def _tag(delivery: Any) -> bytes:
    """The raw tag of a C delivery (proton's `Delivery.tag` UTF-8-decodes it, which binary GUIDs fail)."""
    tag = lib.pn_delivery_tag(delivery)
    return bytes(ffi.buffer(tag.start, tag.size))
