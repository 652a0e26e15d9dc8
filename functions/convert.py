"""Translating azure.functions trigger objects into the handlers' plain inputs (and nothing else).

Kept in one module so every blueprint reads Service Bus and blob metadata the same way.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any, Protocol

import azure.functions as func
from azure.storage.blob import BlobClient
from opentelemetry.trace import Span

from shared.handlers.identity import is_file_id
from shared.handlers.inbound import Delivery
from shared.telemetry import context_from, step_span


class Outcome(Protocol):
    """What every handler returns (`StepOutcome`, `ValidatorOutcome`)."""

    @property
    def state(self) -> str: ...

    @property
    def file_id(self) -> str: ...

    @property
    def detail(self) -> str: ...


def delivery_from(msg: func.ServiceBusMessage, entity: str) -> Delivery:
    """The body and the broker properties the handlers use; application properties win over user ones."""
    enqueued = msg.enqueued_time_utc
    properties: dict[str, Any] = {**(msg.user_properties or {}), **(msg.application_properties or {})}
    return Delivery(
        body=msg.get_body(),
        message_id=msg.message_id,
        correlation_id=msg.correlation_id,
        delivery_count=msg.delivery_count or 1,
        application_properties=properties,
        entity=entity,
        dead_letter_reason=msg.dead_letter_reason,
        dead_letter_error_description=msg.dead_letter_error_description,
        enqueued_time=enqueued.isoformat() if enqueued is not None else None,
    )


def incoming_blob_name(container: str, client: BlobClient) -> str:
    """The blob's name inside `container` (`acme-payroll/x.csv`), from the trigger's client."""
    if client.container_name != container:
        raise ValueError(f"blob trigger delivered {client.container_name}/{client.blob_name}, which is not "
                         f"in container {container!r}")
    return str(client.blob_name)


def log_outcome(log: logging.Logger, function: str, key: str | None, outcome: Outcome) -> None:
    """One INFO line per invocation: the function, the message or blob, and the business outcome."""
    log.info("%s %s: %s %s %s", function, key, outcome.state, outcome.file_id, outcome.detail)


@contextlib.contextmanager
def message_span(function: str, delivery: Delivery) -> Iterator[Span]:
    """The invocation's span, in the trace the message carries (the sender's Service Bus SDK wrote it),
    with the file id (the message's correlation id) as an attribute and on every log line."""
    file_id = delivery.correlation_id if is_file_id(delivery.correlation_id) else ""
    with step_span(function, file_id or "", parent=context_from(delivery.application_properties)) as span:
        yield span


def new_blueprint() -> func.Blueprint:
    """A Blueprint; one place for the typing gap in azure.functions' untyped constructor."""
    return func.Blueprint()  # type: ignore[no-untyped-call]
