"""ValidatorCompensationDeadLetter: the validator compensation gave up; archive, alert, `failed` +
needs_attention."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, message_span, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.compensation_deadletter import handle_compensation_dead_lettered
from shared.topology import (
    DEAD_LETTER_SUFFIX,
    FILE_FAILED_TOPIC,
    SERVICE_BUS_SETTING,
    VALIDATOR_COMPENSATION_SUBSCRIPTION,
)

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = f"{FILE_FAILED_TOPIC}/{VALIDATOR_COMPENSATION_SUBSCRIPTION}{DEAD_LETTER_SUFFIX}"


@bp.function_name("ValidatorCompensationDeadLetter")
@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=FILE_FAILED_TOPIC,
    subscription_name=VALIDATOR_COMPENSATION_SUBSCRIPTION + DEAD_LETTER_SUFFIX,
    connection=SERVICE_BUS_SETTING,
)
def validator_compensation_dead_letter(msg: func.ServiceBusMessage) -> None:
    delivery = delivery_from(msg, ENTITY)
    with message_span("ValidatorCompensationDeadLetter", delivery):
        outcome = handle_compensation_dead_lettered(get_services(), delivery,
                                                    VALIDATOR_COMPENSATION_SUBSCRIPTION)
        log_outcome(log, "ValidatorCompensationDeadLetter", msg.message_id, outcome)
