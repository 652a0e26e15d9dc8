"""ValidatorCompensation: `file-failed` / `validator-compensation`; releases the registry entry, moves the
original to `failed/` with the reason and ends the file `failed`."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, message_span, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.compensation import handle_validator_compensation
from shared.topology import FILE_FAILED_TOPIC, SERVICE_BUS_SETTING, VALIDATOR_COMPENSATION_SUBSCRIPTION

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = f"{FILE_FAILED_TOPIC}/{VALIDATOR_COMPENSATION_SUBSCRIPTION}"


@bp.function_name("ValidatorCompensation")
@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=FILE_FAILED_TOPIC,
    subscription_name=VALIDATOR_COMPENSATION_SUBSCRIPTION,
    connection=SERVICE_BUS_SETTING,
)
def validator_compensation(msg: func.ServiceBusMessage) -> None:
    delivery = delivery_from(msg, ENTITY)
    with message_span("ValidatorCompensation", delivery):
        outcome = handle_validator_compensation(get_services(), delivery)
        log_outcome(log, "ValidatorCompensation", msg.message_id, outcome)
