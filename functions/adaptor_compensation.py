"""AdaptorCompensation: `file-failed` / `adaptor-compensation`; deletes the staged document, then hands over
to the validator."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, message_span, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.compensation import handle_adaptor_compensation
from shared.topology import ADAPTOR_COMPENSATION_SUBSCRIPTION, FILE_FAILED_TOPIC, SERVICE_BUS_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = f"{FILE_FAILED_TOPIC}/{ADAPTOR_COMPENSATION_SUBSCRIPTION}"


@bp.function_name("AdaptorCompensation")
@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=FILE_FAILED_TOPIC,
    subscription_name=ADAPTOR_COMPENSATION_SUBSCRIPTION,
    connection=SERVICE_BUS_SETTING,
)
def adaptor_compensation(msg: func.ServiceBusMessage) -> None:
    delivery = delivery_from(msg, ENTITY)
    with message_span("AdaptorCompensation", delivery):
        outcome = handle_adaptor_compensation(get_services(), delivery)
        log_outcome(log, "AdaptorCompensation", msg.message_id, outcome)
