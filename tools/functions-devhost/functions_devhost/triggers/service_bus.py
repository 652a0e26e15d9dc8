"""Service Bus trigger: queues, topic subscriptions and their `$DeadLetterQueue`s, settled like the host.

One receiver per function, in peek-lock, on the client shared by its connection setting. Up to
`maxConcurrentCalls` messages run at once on a pool; the receiver's own thread does all receiving and
settling (SDK receivers are not thread-safe): complete when the function returned, abandon when it raised.
Locks are renewed by the SDK's AutoLockRenewer up to `maxAutoLockRenewalDuration`.
"""

from __future__ import annotations

import logging
import queue

from azure.servicebus import (
    AutoLockRenewer,
    ServiceBusReceivedMessage,
    ServiceBusReceiver,
    ServiceBusSubQueue,
)
from azure.servicebus.exceptions import ServiceBusError

from functions_devhost.connections import Connections
from functions_devhost.hostjson import ServiceBusOptions
from functions_devhost.indexer import IndexedFunction
from functions_devhost.invoker import Invocation, Invoker
from functions_devhost.triggers.listener import PollingListener
from functions_devhost.triggers.service_bus_metadata import body_datum, trigger_metadata

log = logging.getLogger("devhost.servicebus")

DLQ_SUFFIX = "/$DeadLetterQueue"
# How long an idle receiver waits for a message in one call. A message that arrives ends the wait at
# once, so a long wait adds no latency; it bounds how late the receiver notices a stop. Waiting only the
# poll interval made each idle listener (most are dead-letter and compensation ones) cost a link flow and
# a round of frame reads ten times a second at the bench's 0.1 s.
IDLE_WAIT_SECONDS = 1.0


def describe_entity(trigger: dict[str, object]) -> str:
    """`queue`, `queue/$DeadLetterQueue`, `topic/Subscriptions/sub[/$DeadLetterQueue]`, for logs."""
    if trigger.get("queueName"):
        return str(trigger["queueName"])
    return f"{trigger['topicName']}/Subscriptions/{trigger['subscriptionName']}"


class ServiceBusListener(PollingListener):
    """Drives one Service Bus-triggered function."""

    thread_prefix = "recv"
    wait_for_pool = False

    def __init__(
        self,
        function: IndexedFunction,
        invoker: Invoker,
        connections: Connections,
        options: ServiceBusOptions,
        poll_interval: float,
    ) -> None:
        super().__init__(function, invoker, poll_interval, options.max_concurrent_calls,
                         f"sb-{function.name}")
        self._options = options
        self._client = connections.service_bus(str(function.trigger["connection"]))
        self._entity = describe_entity(function.trigger)
        self._auto_complete = bool(
            function.trigger.get("autoCompleteMessages", options.auto_complete_messages)
        )
        self._results: queue.Queue[tuple[ServiceBusReceivedMessage, bool]] = queue.Queue()
        self._inflight = 0

    def _receiver(self) -> ServiceBusReceiver:
        trigger = self._function.trigger
        name = str(trigger.get("queueName") or trigger.get("subscriptionName"))
        sub_queue = ServiceBusSubQueue.DEAD_LETTER if name.endswith(DLQ_SUFFIX) else None
        name = name.removesuffix(DLQ_SUFFIX)
        if trigger.get("queueName"):
            return self._client.get_queue_receiver(
                name, sub_queue=sub_queue, prefetch_count=self._options.prefetch_count
            )
        return self._client.get_subscription_receiver(
            str(trigger["topicName"]), name, sub_queue=sub_queue, prefetch_count=self._options.prefetch_count
        )

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with (
                    self._receiver() as receiver,
                    AutoLockRenewer(
                        max_lock_renewal_duration=self._options.max_auto_lock_renewal_seconds
                    ) as renewer,
                ):
                    self._pump(receiver, renewer)
            except ServiceBusError as exc:
                log.error(
                    "Function '%s': receiver for '%s' failed (%s); reconnecting",
                    self._function.name,
                    self._entity,
                    exc,
                )
                self._stopping.wait(max(self._poll, 1.0))
            except Exception:
                log.exception(
                    "Function '%s': receiver for '%s' crashed; reconnecting",
                    self._function.name,
                    self._entity,
                )
                self._stopping.wait(max(self._poll, 1.0))

    def _pump(self, receiver: ServiceBusReceiver, renewer: AutoLockRenewer) -> None:
        while not self._stopping.is_set():
            self._settle(receiver, wait=self._inflight >= self._options.max_concurrent_calls)
            free = self._options.max_concurrent_calls - self._inflight
            if free <= 0:
                continue
            # After a first message the SDK waits 0.2 s more to fill a batch: when idle, ask for one so a lone
            # message starts at once; when busy, ask for every free slot.
            # While invocations run, wait briefly, so that finished ones are settled (and abandoned ones
            # redelivered) without a poll interval's delay.
            idle = self._inflight == 0
            wanted, wait = (1, max(self._poll, IDLE_WAIT_SECONDS)) if idle else (free, min(self._poll, 0.05))
            for message in receiver.receive_messages(max_message_count=wanted, max_wait_time=wait):
                renewer.register(
                    receiver, message, max_lock_renewal_duration=self._options.max_auto_lock_renewal_seconds
                )
                self._inflight += 1
                self._pool.submit(self._invoke, message)
        # Stopping: settle what finishes within the grace period; the rest is released when the link closes.
        while self._inflight and self._settle(receiver, wait=True):
            pass

    def _settle(self, receiver: ServiceBusReceiver, wait: bool) -> bool:
        """Settle finished invocations; return False if waiting for one timed out."""
        try:
            message, succeeded = self._results.get(timeout=self._poll) if wait else self._results.get_nowait()
        except queue.Empty:
            return False
        while True:
            self._inflight -= 1
            if self._auto_complete:
                self._settle_one(receiver, message, succeeded)
            try:
                message, succeeded = self._results.get_nowait()
            except queue.Empty:
                return True

    def _settle_one(
        self, receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage, succeeded: bool
    ) -> None:
        try:
            if succeeded:
                receiver.complete_message(message)
            else:
                receiver.abandon_message(message)
        except ServiceBusError as exc:
            # The host logs and moves on: the lock is gone, so Service Bus redelivers the message.
            log.warning(
                "Function '%s': could not %s message %s on '%s': %s",
                self._function.name,
                "complete" if succeeded else "abandon",
                message.message_id,
                self._entity,
                exc,
            )

    def _invoke(self, message: ServiceBusReceivedMessage) -> None:
        succeeded = False
        try:
            properties = message.application_properties or {}
            trace = properties.get(b"traceparent") or properties.get("traceparent") or b""
            invocation = Invocation(
                data=body_datum(message),
                metadata=trigger_metadata(message),
                reason=f"New ServiceBus message detected on '{self._entity}'.",
                file_id=str(message.correlation_id or message.message_id or ""),
                trace_parent=trace.decode() if isinstance(trace, bytes) else str(trace),
            )
            succeeded = self._invoker.invoke(self._function, invocation).succeeded
        finally:
            self._results.put((message, succeeded))
