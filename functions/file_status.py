"""FileStatus: `GET /api/files/{file_id}` returns the file's timeline and terminal state as JSON.

400 for something that is not a file id, 404 for an id never seen, 503 when the timeline cannot be read
(storage or settings; the details are logged, not returned), 200 otherwise; always JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import azure.functions as func

from functions.convert import new_blueprint
from shared.bootstrap import get_services
from shared.contracts.timeline import TimelineError
from shared.handlers.status import file_status, is_file_id

log = logging.getLogger(__name__)
bp = new_blueprint()


@bp.function_name("FileStatus")
@bp.route(route="files/{file_id}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def file_status_http(req: func.HttpRequest) -> func.HttpResponse:
    file_id = req.route_params.get("file_id", "")
    if not is_file_id(file_id):
        return _json(400, {"error": f"{file_id!r} is not a file id (expected <sender>.<file>.<8 hex>)"})
    try:
        status = file_status(get_services().blobs, file_id)
    except TimelineError as exc:  # not transient: a record outside the vocabulary; name it
        log.error("FileStatus %s: %s", file_id, exc)
        return _json(500, {"error": str(exc), "file_id": file_id})
    except Exception:  # the caller gets JSON, never the host's bare 500; the details go to the logs only
        log.exception("FileStatus %s: the timeline could not be read", file_id)
        return _json(503, {"error": "the file's status cannot be read right now; retry later (details are "
                           "in the app's logs)", "file_id": file_id})
    if status is None:
        return _json(404, {"error": f"no file with id {file_id!r} has been seen", "file_id": file_id})
    log.info("FileStatus %s: %s", file_id, status["state"])
    return _json(200, status)


def _json(code: int, body: Mapping[str, Any]) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, default=str), status_code=code, mimetype="application/json")
