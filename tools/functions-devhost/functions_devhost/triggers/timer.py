"""Timer trigger: an NCRONTAB schedule in UTC, `runOnStartup`, and the host's schedule monitor.

What the host does and this reproduces:
* the schedule may name an app setting (`%RECONCILE_SCHEDULE%`), resolved when the host starts;
* `useMonitor` (default: on unless the schedule fires more than once a minute) keeps the last and next
  occurrence in `azure-webjobs-hosts/timers/<host id>/<function id>/status`; a host that starts after a
  missed occurrence runs the function at once with `IsPastDue = true`, and a restart keeps the schedule;
* `runOnStartup` runs it once when the host starts (a past-due run counts as that run);
* one run at a time: the next occurrence is computed when a run ends, so an overrun skips occurrences
  instead of piling them up; a failure is logged and not retried (`@app.retry` is not honoured here);
* only one instance runs a timer (the host takes a singleton lock); with `--workers N` that is worker 0.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions import meta
from azure.storage.blob import ContainerClient

from functions_devhost.connections import Connections
from functions_devhost.errors import DevhostError
from functions_devhost.indexer import IndexedFunction
from functions_devhost.invoker import Invocation, Invoker
from functions_devhost.triggers.ncrontab import Schedule, parse_schedule

log = logging.getLogger("devhost.timer")

HOST_STORAGE = "AzureWebJobsStorage"
HOSTS_CONTAINER = "azure-webjobs-hosts"
_SETTING = re.compile(r"^%([^%]+)%$")


@dataclass(frozen=True)
class ScheduleStatus:
    """The monitor's record, in the host's field names."""

    last: datetime
    next: datetime
    last_updated: datetime

    def to_json(self) -> dict[str, str]:
        return {"Last": _iso(self.last), "Next": _iso(self.next), "LastUpdated": _iso(self.last_updated)}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ScheduleStatus:
        return cls(*(datetime.fromisoformat(str(document[k])) for k in ("Last", "Next", "LastUpdated")))


@dataclass(frozen=True)
class Occurrence:
    """One run to make: when it was due, and whether it is late (a missed occurrence)."""

    due: datetime
    past_due: bool


def resolve_schedule(function: IndexedFunction) -> Schedule:
    """The function's schedule, reading `%Setting%` from the environment as the host does."""
    text = str(function.trigger.get("schedule") or "")
    setting = _SETTING.match(text)
    if setting:
        value = os.environ.get(setting.group(1), "")
        if not value:
            raise DevhostError(
                f"Function '{function.name}': schedule names the app setting '{setting.group(1)}', which is "
                "not set; add it to local.settings.json Values (for example \"0 */5 * * * *\")."
            )
        text = value
    return parse_schedule(text, function.name)


def uses_monitor(function: IndexedFunction, schedule: Schedule, now: datetime) -> bool:
    configured = function.trigger.get("useMonitor")
    if configured is not None:
        return bool(configured)
    return schedule.shortest_interval(now) >= timedelta(minutes=1)


def first_occurrence(
    schedule: Schedule, status: ScheduleStatus | None, now: datetime, run_on_startup: bool
) -> Occurrence:
    """What to run first: a missed occurrence at once, else a startup run, else the next one due."""
    if status is not None and status.next <= now:
        return Occurrence(status.next, past_due=True)
    if run_on_startup:
        return Occurrence(now, past_due=False)
    if status is not None:
        return Occurrence(status.next, past_due=False)  # a restart keeps the recorded schedule
    return Occurrence(schedule.next_after(now), past_due=False)


class TimerListener:
    """Drives one timer-triggered function on its own thread."""

    def __init__(
        self,
        function: IndexedFunction,
        invoker: Invoker,
        connections: Connections,
        host_id: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._function = function
        self._invoker = invoker
        self._now = now
        self._schedule = resolve_schedule(function)
        self._monitor = uses_monitor(function, self._schedule, now())
        service = connections.blob_service(HOST_STORAGE)
        self._hosts: ContainerClient = service.get_container_client(HOSTS_CONTAINER)
        self._status_name = f"timers/{host_id}/{function.function_id}/status"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"timer-{function.name}", daemon=True)

    def start(self) -> None:
        if self._monitor:
            with contextlib.suppress(ResourceExistsError):
                self._hosts.create_container()
        self._thread.start()

    def stop(self, grace_seconds: float) -> None:
        self._stopping.set()
        self._thread.join(timeout=grace_seconds)

    def _run(self) -> None:
        status = self._read_status()
        run_on_startup = bool(self._function.trigger.get("runOnStartup"))
        occurrence = first_occurrence(self._schedule, status, self._now(), run_on_startup)
        while not self._stopping.is_set():
            if not self._sleep_until(occurrence.due):
                return
            self._invoke(occurrence, status)
            now = self._now()
            status = ScheduleStatus(occurrence.due, self._schedule.next_after(now), last_updated=now)
            self._write_status(status)
            occurrence = Occurrence(status.next, past_due=False)

    def _sleep_until(self, due: datetime) -> bool:
        """Wait until `due`, waking at least once a second so stop() is prompt; False when stopping."""
        while True:
            remaining = (due - self._now()).total_seconds()
            if remaining <= 0:
                return not self._stopping.is_set()
            if self._stopping.wait(min(remaining, 1.0)):
                return False

    def _invoke(self, occurrence: Occurrence, status: ScheduleStatus | None) -> None:
        body = {
            "Schedule": {"AdjustForDST": True},
            "ScheduleStatus": status.to_json() if status else None,
            "IsPastDue": occurrence.past_due,
        }
        reason = "Timer fired" + (" (past due)" if occurrence.past_due else "") + f" at {_iso(self._now())}"
        self._invoker.invoke(self._function, Invocation(data=meta.Datum(json.dumps(body), "json"),
                                                        metadata={}, reason=reason))

    def _read_status(self) -> ScheduleStatus | None:
        if not self._monitor:
            return None
        try:
            raw = self._hosts.get_blob_client(self._status_name).download_blob().readall()
            return ScheduleStatus.from_json(json.loads(raw))
        except ResourceNotFoundError:
            return None
        except (ValueError, KeyError):
            log.warning("Function '%s': unreadable schedule status %s; starting afresh",
                        self._function.name, self._status_name)
            return None

    def _write_status(self, status: ScheduleStatus) -> None:
        if not self._monitor:
            return
        try:
            self._hosts.get_blob_client(self._status_name).upload_blob(
                json.dumps(status.to_json()).encode(), overwrite=True)
        except Exception:
            # The host logs and carries on too: the next occurrence still runs, a restart may run it late.
            log.exception("Function '%s': could not record the schedule status", self._function.name)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
