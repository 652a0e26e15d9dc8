"""AdaptorCompensationDeadLetter: the adaptor compensation gave up.

Archive, ERROR alert, terminal `failed` with needs_attention; never publishes.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, message_span, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.compensation_deadletter import handle_compensation_dead_lettered
from shared.topology import (
    ADAPTOR_COMPENSATION_SUBSCRIPTION,
    DEAD_LETTER_SUFFIX,
    FILE_FAILED_TOPIC,
    SERVICE_BUS_SETTING,
)

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = f"{FILE_FAILED_TOPIC}/{ADAPTOR_COMPENSATION_SUBSCRIPTION}{DEAD_LETTER_SUFFIX}"


@bp.function_name("AdaptorCompensationDeadLetter")
@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=FILE_FAILED_TOPIC,
    subscription_name=ADAPTOR_COMPENSATION_SUBSCRIPTION + DEAD_LETTER_SUFFIX,
    connection=SERVICE_BUS_SETTING,
)
def adaptor_compensation_dead_letter(msg: func.ServiceBusMessage) -> None:
    delivery = delivery_from(msg, ENTITY)
    with message_span("AdaptorCompensationDeadLetter", delivery):
        outcome = handle_compensation_dead_lettered(get_services(), delivery,
                                                    ADAPTOR_COMPENSATION_SUBSCRIPTION)
        log_outcome(log, "AdaptorCompensationDeadLetter", msg.message_id, outcome)
