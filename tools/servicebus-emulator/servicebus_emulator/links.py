"""Link-level helpers: address normalisation, what each link is for, and request/reply routing."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cproton_ffi import lib
from proton import Delivery, Endpoint, Link, Message

from servicebus_emulator.entities import MessageQueue

log = logging.getLogger("servicebus_emulator.links")
SCHEME_AND_HOST = re.compile(r"^[a-z]+://[^/]*/", re.IGNORECASE)


def normalize(address: str | None) -> str:
    """`amqps://host:5672/queue` (Python SDK) and `queue` (JS SDK) both mean `queue`."""
    return SCHEME_AND_HOST.sub("", address or "").strip("/")


@dataclass
class LinkRole:
    """What one attached link is for."""

    kind: str  # "cbs", "management", "send" (client sends to us), "receive" (client receives)
    address: str
    queue: MessageQueue | None = None
    peek_lock: bool = True


class Held:
    """A peek-locked delivery awaiting the client's outcome; `state.held` keys it by its tag bytes.

    It keeps the C delivery alive by reference count (as proton's wrapper would) and builds the
    Python `Delivery` wrapper only when a slower path asks for it."""

    __slots__ = ("_pointer", "link", "queue", "token")

    def __init__(self, pointer: Any, queue: MessageQueue, link: Link, token: uuid.UUID) -> None:
        lib.pn_incref(pointer)
        self._pointer = pointer
        self.queue = queue
        self.link = link
        self.token = token

    def __del__(self) -> None:
        lib.pn_decref(self._pointer)

    @property
    def pointer(self) -> Any:
        """The C delivery, for the raw settlement calls."""
        return self._pointer

    @property
    def delivery(self) -> Delivery:
        return _wrap_delivery(self._pointer)


_wrap_delivery: Callable[[Any], Delivery] = Delivery.wrap  # proton leaves it untyped


def send_reply(link: Any, request: Message, reply: Message) -> None:
    """Answer on the connection's response link: by target == reply-to, name == reply-to, else by node."""
    reply_to = request.reply_to
    node = link.remote_target.address
    candidates: list[Any] = []
    sender = link.connection.link_head(Endpoint.LOCAL_ACTIVE)
    while sender is not None:
        if sender.is_sender:
            candidates.append(sender)
        sender = sender.next(Endpoint.LOCAL_ACTIVE)
    chosen = (next((s for s in candidates if reply_to and s.remote_target.address == reply_to), None)
              or next((s for s in candidates if reply_to and s.name == reply_to), None)
              or next((s for s in candidates if s.remote_source.address == node), None))
    if chosen is None:
        log.warning("emulator: no reply link for %s on %s", reply_to, node)
        return
    if reply_to:
        reply.address = reply_to
    delivery = chosen.delivery(uuid.uuid4().bytes)
    chosen.send(reply.encode())
    chosen.advance()
    delivery.settle()
