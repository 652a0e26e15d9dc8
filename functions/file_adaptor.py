"""FileAdaptor: Service Bus trigger on `file-validated`.

Builds the canonical document and sends `file.adapted`.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, message_span, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.adaptor import handle_file_validated
from shared.topology import FILE_VALIDATED_QUEUE, SERVICE_BUS_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = FILE_VALIDATED_QUEUE


@bp.function_name("FileAdaptor")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name=FILE_VALIDATED_QUEUE, connection=SERVICE_BUS_SETTING)
def file_adaptor(msg: func.ServiceBusMessage) -> None:
    delivery = delivery_from(msg, ENTITY)
    with message_span("FileAdaptor", delivery):
        outcome = handle_file_validated(get_services(), delivery)
        log_outcome(log, "FileAdaptor", msg.message_id, outcome)
