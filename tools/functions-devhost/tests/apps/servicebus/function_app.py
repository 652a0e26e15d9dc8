"""Fixture app for Service Bus triggers: a queue, its dead-letter queue and a topic subscription.

Each function reports the `func.ServiceBusMessage` it received to the Storage queue `fx-sb-seen`.
A body containing "fail" raises, so the message is abandoned until MaxDeliveryCount dead-letters it.
"""

from __future__ import annotations

import json
import time

import azure.functions as func

app = func.FunctionApp()


def _report(fn: str, msg: func.ServiceBusMessage) -> str:
    return json.dumps(
        {
            "fn": fn,
            "body": msg.get_body().decode("utf-8"),
            "message_id": msg.message_id,
            "correlation_id": msg.correlation_id,
            "delivery_count": msg.delivery_count,
            "application_properties": msg.application_properties,
            "user_properties": msg.user_properties,
            "dead_letter_reason": msg.dead_letter_reason,
            "sequence_number": msg.sequence_number,
            "subject": msg.subject,
            "content_type": msg.content_type,
            "enqueued_time_utc": msg.enqueued_time_utc.isoformat() if msg.enqueued_time_utc else None,
        }
    )


@app.function_name("SbWork")
@app.service_bus_queue_trigger(arg_name="msg", queue_name="fx-sb", connection="FixtureServiceBus")
@app.queue_output(arg_name="seen", queue_name="fx-sb-seen", connection="FixtureStorage")
def sb_work(msg: func.ServiceBusMessage, seen: func.Out[str]) -> None:
    if "fail" in msg.get_body().decode("utf-8"):
        raise RuntimeError(f"fixture failure for {msg.message_id}")
    seen.set(_report("SbWork", msg))


@app.function_name("SbDeadLetters")
@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="fx-sb/$DeadLetterQueue", connection="FixtureServiceBus"
)
@app.queue_output(arg_name="seen", queue_name="fx-sb-seen", connection="FixtureStorage")
def sb_dead_letters(msg: func.ServiceBusMessage, seen: func.Out[str]) -> None:
    seen.set(_report("SbDeadLetters", msg))


@app.function_name("SbTopic")
@app.service_bus_topic_trigger(
    arg_name="msg", topic_name="fx-topic", subscription_name="fx-sub", connection="FixtureServiceBus"
)
@app.queue_output(arg_name="seen", queue_name="fx-sb-seen", connection="FixtureStorage")
async def sb_topic(msg: func.ServiceBusMessage, seen: func.Out[str]) -> None:
    seen.set(_report("SbTopic", msg))


@app.function_name("SbSlow")
@app.service_bus_queue_trigger(arg_name="msg", queue_name="fx-slow", connection="FixtureServiceBus")
@app.queue_output(arg_name="seen", queue_name="fx-sb-seen", connection="FixtureStorage")
def sb_slow(msg: func.ServiceBusMessage, seen: func.Out[str]) -> None:
    # Runs longer than the queue's 3 s lock: only lock renewal keeps the message from being redelivered.
    time.sleep(7)
    seen.set(_report("SbSlow", msg))
