"""FileAdaptedDeadLetter: `file-adapted/$DeadLetterQueue` (FileCreator gave up).

Archives it and asks the adaptor to compensate first (reverse order).
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, message_span, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.deadletter import handle_dead_lettered
from shared.topology import DEAD_LETTER_SUFFIX, FILE_ADAPTED_QUEUE, SERVICE_BUS_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = FILE_ADAPTED_QUEUE + DEAD_LETTER_SUFFIX


@bp.function_name("FileAdaptedDeadLetter")
@bp.service_bus_queue_trigger(
    arg_name="msg", queue_name=FILE_ADAPTED_QUEUE + DEAD_LETTER_SUFFIX, connection=SERVICE_BUS_SETTING
)
def file_adapted_dead_letter(msg: func.ServiceBusMessage) -> None:
    delivery = delivery_from(msg, ENTITY)
    with message_span("FileAdaptedDeadLetter", delivery):
        outcome = handle_dead_lettered(get_services(), delivery, FILE_ADAPTED_QUEUE)
        log_outcome(log, "FileAdaptedDeadLetter", msg.message_id, outcome)
