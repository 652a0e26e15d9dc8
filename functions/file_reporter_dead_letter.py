"""FileReporterDeadLetter: the reporter gave up on a file; archive and alert, the state stays."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.participant_deadletter import handle_participant_dead_lettered
from shared.topology import DEAD_LETTER_SUFFIX, FILE_ENDED_TOPIC, REPORTER_SUBSCRIPTION, SERVICE_BUS_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = f"{FILE_ENDED_TOPIC}/{REPORTER_SUBSCRIPTION}{DEAD_LETTER_SUFFIX}"


@bp.function_name("FileReporterDeadLetter")
@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=FILE_ENDED_TOPIC,
    subscription_name=REPORTER_SUBSCRIPTION + DEAD_LETTER_SUFFIX,
    connection=SERVICE_BUS_SETTING,
)
def file_reporter_dead_letter(msg: func.ServiceBusMessage) -> None:
    outcome = handle_participant_dead_lettered(
        get_services(), delivery_from(msg, ENTITY), REPORTER_SUBSCRIPTION
    )
    log_outcome(log, "FileReporterDeadLetter", msg.message_id, outcome)
