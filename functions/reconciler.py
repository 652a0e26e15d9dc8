"""Reconciler: timer trigger (`RECONCILE_SCHEDULE`, default every five minutes) over the whole pipeline.

The schedule is read when this module is imported, like the blob trigger's source: a timer's schedule
is fixed when the host indexes the app. A missed occurrence (the app was scaled to zero or redeployed)
runs at once as past due (`use_monitor`). The run never raises for one file's trouble; it does for a
sweep-wide failure only through its log line, so the host does not retry a run the next one repeats.
"""

from __future__ import annotations

import logging

import azure.functions as func
from opentelemetry.context import Context

from functions.convert import new_blueprint
from shared.bootstrap import get_services
from shared.handlers.reconcile.run import reconcile
from shared.settings import reconcile_schedule
from shared.telemetry import step_span

log = logging.getLogger(__name__)
bp = new_blueprint()


@bp.function_name("Reconciler")
@bp.timer_trigger(arg_name="timer", schedule=reconcile_schedule(), run_on_startup=False, use_monitor=True)
def reconciler(timer: func.TimerRequest) -> None:
    with step_span("Reconciler", parent=Context()):  # each file it touches gets its own span in its trace
        if timer.past_due:
            log.info("Reconciler: this run is past due (an occurrence was missed); running it now")
        reconcile(get_services())
