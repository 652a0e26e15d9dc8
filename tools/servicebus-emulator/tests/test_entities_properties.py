"""Property test of the state machine: random operation sequences never lose, duplicate or leak messages.

Every message that was sent is, at every step, in exactly one place: completed (or taken), active,
locked, deferred or scheduled in the queue, or in the dead-letter queue. Delivery counts stay below
MaxDeliveryCount in the queue, and once every lock has expired nothing is left locked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from servicebus_emulator.config import build_namespace
from servicebus_emulator.entities import IncomingMessage, MessageState, SystemProperties
from servicebus_emulator.errors import MessageLockLostError, MessageNotFoundError

pytestmark = [pytest.mark.emulator, pytest.mark.unit]

MAX_DELIVERY = 3
LOCK_SECONDS = 10


class _Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = _Clock()
        doc = {"UserConfig": {"Namespaces": [{"Name": "ns", "Queues": [{"Name": "q", "Properties": {
            "LockDuration": f"PT{LOCK_SECONDS}S", "MaxDeliveryCount": MAX_DELIVERY,
            "DefaultMessageTimeToLive": "PT10M", "DeadLetteringOnMessageExpiration": True}}]}]}}
        self.ns = build_namespace(doc, self.clock)
        self.queue = self.ns.receivable("q")
        self.dlq = self.ns.receivable("q/$DeadLetterQueue")
        self.sent: set[str] = set()
        self.gone: set[str] = set()  # completed or received-and-deleted
        self.tokens: dict[UUID, str] = {}
        self.deferred: dict[int, str] = {}
        self.scheduled: dict[int, str] = {}
        self.counter = 0

    def _incoming(self) -> IncomingMessage:
        self.counter += 1
        message_id = f"m{self.counter}"
        self.sent.add(message_id)
        return IncomingMessage(message_id.encode(), SystemProperties(message_id=message_id))

    @rule()
    def send(self) -> None:
        self.ns.send("q", self._incoming())

    @rule(delay=st.integers(min_value=1, max_value=60))
    def schedule(self, delay: int) -> None:
        incoming = self._incoming()
        seq = self.ns.schedule("q", incoming, self.clock.now() + timedelta(seconds=delay))
        self.scheduled[seq] = incoming.system.message_id or ""

    @precondition(lambda self: self.scheduled)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        seq = data.draw(st.sampled_from(sorted(self.scheduled)))
        message_id = self.scheduled.pop(seq)
        try:
            self.ns.cancel_scheduled("q", [seq])
            self.gone.add(message_id)
        except MessageNotFoundError:
            pass  # it had already become active

    @rule()
    def lock(self) -> None:
        message = self.queue.lock_next(self.clock.now())
        if message is not None and message.lock_token is not None:
            self.tokens[message.lock_token] = message.message_id

    @rule()
    def take(self) -> None:
        message = self.queue.take_next(self.clock.now())
        if message is not None:
            self.gone.add(message.message_id)

    @precondition(lambda self: self.tokens)
    @rule(data=st.data(), action=st.sampled_from(["complete", "abandon", "defer", "dead_letter", "renew"]))
    def settle(self, data: st.DataObject, action: str) -> None:
        token = data.draw(st.sampled_from(list(self.tokens)))  # insertion order: tokens are random
        message_id = self.tokens[token]
        now = self.clock.now()
        try:
            if action == "complete":
                self.queue.complete(token, now)
                self.gone.add(message_id)
            elif action == "abandon":
                self.queue.abandon(token, now)
            elif action == "defer":
                seq = self.queue.locked(token, now).sequence_number
                self.queue.defer(token, now)
                self.deferred[seq] = message_id
            elif action == "dead_letter":
                self.queue.dead_letter(token, now, "Test", "random")
            else:
                self.queue.renew_lock(token, now)
                return
        except MessageLockLostError:
            pass
        del self.tokens[token]

    @precondition(lambda self: self.deferred)
    @rule(data=st.data())
    def receive_deferred(self, data: st.DataObject) -> None:
        seq = data.draw(st.sampled_from(sorted(self.deferred)))
        message_id = self.deferred.pop(seq)
        try:
            (message,) = self.queue.receive_deferred([seq], self.clock.now())
        except MessageNotFoundError:
            return  # dead-lettered meanwhile
        assert message.lock_token is not None
        self.tokens[message.lock_token] = message_id

    @rule(seconds=st.integers(min_value=1, max_value=30))
    def advance(self, seconds: int) -> None:
        self.clock.current += timedelta(seconds=seconds)
        self.ns.tick()

    @invariant()
    def every_message_is_in_exactly_one_place(self) -> None:
        in_queue = [m.message_id for m in self.queue.peek(0, 10_000)]
        in_dlq = [m.message_id for m in self.dlq.peek(0, 10_000)]
        places = in_queue + in_dlq + sorted(self.gone)
        assert len(places) == len(set(places)), "a message is in two places"
        assert set(places) == self.sent, "a message was lost"

    @invariant()
    def delivery_counts_stay_below_the_maximum(self) -> None:
        assert all(m.delivery_count < MAX_DELIVERY for m in self.queue.peek(0, 10_000))

    @invariant()
    def locks_never_outlive_their_duration_after_a_tick(self) -> None:
        now = self.clock.now()
        for message in self.queue.peek(0, 10_000):
            if message.locked_until is not None:
                assert message.state is not MessageState.SCHEDULED
                assert message.locked_until - now <= timedelta(seconds=LOCK_SECONDS)


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
