"""BlobPoison: Storage queue trigger on the host's `webjobs-blobtrigger-poison` (AzureWebJobsStorage).

A file whose validator failed `poisonBlobThreshold` times lands here; it is archived and sent to the
validator's compensation so it still ends `failed`. A malformed notice raises, so the host moves it to
`webjobs-blobtrigger-poison-poison` after its own retries instead of it being dropped.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import log_outcome, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.inbound import Delivery
from shared.handlers.poison import handle_blob_poison
from shared.topology import BLOB_POISON_QUEUE, HOST_STORAGE_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()


@bp.function_name("BlobPoison")
@bp.queue_trigger(arg_name="msg", queue_name=BLOB_POISON_QUEUE, connection=HOST_STORAGE_SETTING)
def blob_poison(msg: func.QueueMessage) -> None:
    delivery = Delivery(
        body=msg.get_body(),
        message_id=msg.id,
        delivery_count=msg.dequeue_count or 1,
        entity=BLOB_POISON_QUEUE,
    )
    outcome = handle_blob_poison(get_services(), delivery)
    log_outcome(log, "BlobPoison", msg.id, outcome)
