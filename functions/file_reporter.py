"""FileReporter: `file-ended` / `reporter`; writes the sender's pain.002 status report for every file."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.reporter import handle_file_ended
from shared.topology import FILE_ENDED_TOPIC, REPORTER_SUBSCRIPTION, SERVICE_BUS_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = f"{FILE_ENDED_TOPIC}/{REPORTER_SUBSCRIPTION}"


@bp.function_name("FileReporter")
@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=FILE_ENDED_TOPIC,
    subscription_name=REPORTER_SUBSCRIPTION,
    connection=SERVICE_BUS_SETTING,
)
def file_reporter(msg: func.ServiceBusMessage) -> None:
    outcome = handle_file_ended(get_services(), delivery_from(msg, ENTITY))
    log_outcome(log, "FileReporter", msg.message_id, outcome)
