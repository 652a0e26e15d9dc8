"""Fixture app for the devhost's timer trigger: each run reports what the host passed it to `fx-timer`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import azure.functions as func

app = func.FunctionApp()


@app.function_name("Tick")
@app.timer_trigger(schedule="%TICK_SCHEDULE%", arg_name="timer", run_on_startup=True, use_monitor=True)
@app.queue_output(arg_name="seen", queue_name="fx-timer", connection="FixtureStorage")
def tick(timer: func.TimerRequest, seen: func.Out[str]) -> None:
    seen.set(json.dumps({"fn": "Tick", "past_due": timer.past_due, "status": timer.schedule_status,
                         "at": datetime.now(UTC).isoformat()}))
