"""Operator signals: the log lines the alerts fire on, named once.

An alert must not depend on prose that someone may reword, so each line a person must act on starts
with `ALERT <signal>: ` and carries `signal` (and `file_id`) as log dimensions. The prefix works with the
host's own log forwarding (only the message reaches Application Insights) and with OpenTelemetry (the
dimensions do too). The KQL in `infra/queries/` matches these prefixes; `tests/infra` checks that every
signal here has a query that names it.
"""

from __future__ import annotations

import logging
from typing import Any

GAVE_UP = "gave_up"  # a failure handler could not start the compensation: failed, needs_attention
COMPENSATION_FAILED = "compensation_failed"  # a compensation dead-lettered: failed, needs_attention
RECONCILER_GAVE_UP = "reconciler_gave_up"  # a stalled file still has no terminal state after the attempts
EVENTGRID_UNREADABLE = "eventgrid_unreadable"  # an Event Grid dead-letter blob the reconciler cannot read
ENDING_UNANNOUNCED = "ending_unannounced"  # a file ended but file.ended could not be published
PARTICIPANT_GAVE_UP = "participant_gave_up"  # a file-ended participant (reporter, notifier) dead-lettered
SIGNALS = (GAVE_UP, COMPENSATION_FAILED, RECONCILER_GAVE_UP, EVENTGRID_UNREADABLE, ENDING_UNANNOUNCED,
           PARTICIPANT_GAVE_UP)
PREFIX = "ALERT"
# The reconciler's per-run line; its counts are parsed by the repair and Event Grid queries.
RECONCILER_RUN = "reconciler run:"
# One line per file when its terminal state is recorded: "file ended: <state> <file id>".
FILE_ENDED = "file ended:"


def alert(logger: logging.Logger, signal: str, message: str, *args: Any, file_id: str = "") -> None:
    """Log an ERROR a person must act on, in the one shape the alert queries match."""
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; add it to shared/signals.py and infra/queries/")
    logger.error(f"{PREFIX} {signal}: {message}", *args,
                 extra={"signal": signal, "file_id": file_id, "needs_attention": True})
