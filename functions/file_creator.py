"""FileCreator: Service Bus trigger on `file-adapted`.

Writes pain.001.001.09 to `outgoing/` and ends the file `delivered`.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, message_span, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.creator import handle_file_adapted
from shared.topology import FILE_ADAPTED_QUEUE, SERVICE_BUS_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = FILE_ADAPTED_QUEUE


@bp.function_name("FileCreator")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name=FILE_ADAPTED_QUEUE, connection=SERVICE_BUS_SETTING)
def file_creator(msg: func.ServiceBusMessage) -> None:
    delivery = delivery_from(msg, ENTITY)
    with message_span("FileCreator", delivery):
        outcome = handle_file_adapted(get_services(), delivery)
        log_outcome(log, "FileCreator", msg.message_id, outcome)
