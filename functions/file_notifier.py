"""FileNotifier: `file-ended` / `notifier`; posts each file's ending to NOTIFIER_WEBHOOK_URL."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import delivery_from, log_outcome, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.notifier import handle_ending_notification
from shared.topology import FILE_ENDED_TOPIC, NOTIFIER_SUBSCRIPTION, SERVICE_BUS_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
ENTITY = f"{FILE_ENDED_TOPIC}/{NOTIFIER_SUBSCRIPTION}"


@bp.function_name("FileNotifier")
@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=FILE_ENDED_TOPIC,
    subscription_name=NOTIFIER_SUBSCRIPTION,
    connection=SERVICE_BUS_SETTING,
)
def file_notifier(msg: func.ServiceBusMessage) -> None:
    outcome = handle_ending_notification(get_services(), delivery_from(msg, ENTITY))
    log_outcome(log, "FileNotifier", msg.message_id, outcome)
