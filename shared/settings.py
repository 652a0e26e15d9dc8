"""App settings read by our own code, and the error for a missing or malformed one.

Only `shared/bootstrap.py` (and the blob trigger's source switch) read the environment; everything
else receives values. A `ConfigurationError` always names the setting and says what to set.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.business_days import DEFAULT_CUT_OFF, DEFAULT_TIME_ZONE
from shared.topology import HOST_STORAGE_SETTING, PAYMENTS_STORAGE_SETTING, SERVICE_BUS_SETTING

PIPELINE_FAULTS_SETTING = "PIPELINE_FAULTS"
BLOB_TRIGGER_SOURCE_SETTING = "BLOB_TRIGGER_SOURCE"
REFERENCE_CACHE_SECONDS_SETTING = "REFERENCE_CACHE_SECONDS"
PIPELINE_TODAY_SETTING = "PIPELINE_TODAY"
BANK_TIME_ZONE_SETTING = "BANK_TIME_ZONE"
BANK_CUT_OFF_SETTING = "BANK_CUT_OFF"
NOTIFIER_WEBHOOK_URL_SETTING = "NOTIFIER_WEBHOOK_URL"
DEFAULT_REFERENCE_CACHE_SECONDS = 60.0
RECONCILE_SCHEDULE_SETTING = "RECONCILE_SCHEDULE"
DEFAULT_RECONCILE_SCHEDULE = "0 */5 * * * *"  # every five minutes: a lost file is found within ~10
RECONCILE_UNSEEN_AFTER_SETTING = "RECONCILE_UNSEEN_AFTER_SECONDS"
RECONCILE_STALLED_AFTER_SETTING = "RECONCILE_STALLED_AFTER_SECONDS"


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; the message names it and what to set."""


@dataclass(frozen=True)
class Settings:
    """The settings the app reads, as raw values; connection settings are resolved by the adapters."""

    environ: Mapping[str, str]
    payments_storage_setting: str = PAYMENTS_STORAGE_SETTING
    service_bus_setting: str = SERVICE_BUS_SETTING
    host_storage_setting: str = HOST_STORAGE_SETTING

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(environ=dict(os.environ if environ is None else environ))

    @property
    def pipeline_faults(self) -> str:
        return self.environ.get(PIPELINE_FAULTS_SETTING, "")

    @property
    def pipeline_today(self) -> date | None:
        """The pinned bank date (test and rehearsal setting), or None for the clock's own date."""
        return parse_pipeline_today(self.environ.get(PIPELINE_TODAY_SETTING, ""))

    @property
    def bank_time_zone(self) -> str:
        """The IANA zone whose date is the bank's (default Europe/Berlin)."""
        raw = self.environ.get(BANK_TIME_ZONE_SETTING, "").strip() or DEFAULT_TIME_ZONE
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                f"setting {BANK_TIME_ZONE_SETTING}={raw!r} is invalid: set it to an IANA time zone such as "
                f"Europe/Berlin, or remove it for the default of {DEFAULT_TIME_ZONE}"
            ) from None
        return raw

    @property
    def bank_cut_off(self) -> time:
        """The time of day (bank time) from which today's files are executed the next business day."""
        raw = self.environ.get(BANK_CUT_OFF_SETTING, "").strip()
        if not raw:
            return DEFAULT_CUT_OFF
        try:
            if len(raw) == 5:
                return time.fromisoformat(raw)
        except ValueError:
            pass
        raise ConfigurationError(
            f"setting {BANK_CUT_OFF_SETTING}={raw!r} is invalid: set it to a time HH:MM such as 15:00, "
            "or remove it for the default of 15:00"
        )

    @property
    def notifier_webhook_url(self) -> str | None:
        """Where FileNotifier posts each ending; None (unset) means it posts nothing."""
        raw = self.environ.get(NOTIFIER_WEBHOOK_URL_SETTING, "").strip()
        if not raw:
            return None
        scheme, _, rest = raw.partition("://")
        if scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
            raise ConfigurationError(
                f"setting {NOTIFIER_WEBHOOK_URL_SETTING}={raw!r} is invalid: set it to an http:// or "
                "https:// URL, or remove it to send no notifications"
            )
        return raw

    @property
    def reference_cache_seconds(self) -> float:
        return self._seconds(REFERENCE_CACHE_SECONDS_SETTING, DEFAULT_REFERENCE_CACHE_SECONDS)

    def reconcile_wait(self, setting: str, default: timedelta) -> timedelta:
        """RECONCILE_UNSEEN_AFTER_SECONDS / RECONCILE_STALLED_AFTER_SECONDS (tests shorten them)."""
        return timedelta(seconds=self._seconds(setting, default.total_seconds()))

    def _seconds(self, setting: str, default: float) -> float:
        raw = self.environ.get(setting, "")
        if not raw.strip():
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not math.isfinite(value) or value < 0:
            raise ConfigurationError(
                f"setting {setting}={raw!r} is invalid: "
                f"set it to a number of seconds >= 0, or remove it for the default of {default:g}"
            )
        return value


def parse_pipeline_today(raw: str) -> date | None:
    """`PIPELINE_TODAY=YYYY-MM-DD`; empty means unset. The one parser, for the app and the local tools."""
    text = raw.strip()
    if not text:
        return None
    try:
        if len(text) == 10:  # fromisoformat also takes 20290208 and 2029-W06-4: not what a person means
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ConfigurationError(
        f"setting {PIPELINE_TODAY_SETTING}={raw!r} is invalid: set it to a date as YYYY-MM-DD "
        "(it pins the bank's date for tests and rehearsals), or remove it to use the clock's date"
    )


def reconcile_schedule(environ: Mapping[str, str] | None = None) -> str:
    """The reconciler's NCRONTAB schedule, read when `functions/reconciler.py` is imported (a timer's
    schedule is fixed at indexing); six fields, seconds first. Default every five minutes."""
    env = os.environ if environ is None else environ
    raw = env.get(RECONCILE_SCHEDULE_SETTING, "").strip() or DEFAULT_RECONCILE_SCHEDULE
    if len(raw.split()) != 6:
        raise ConfigurationError(
            f"setting {RECONCILE_SCHEDULE_SETTING}={raw!r} is invalid: set it to a six-field NCRONTAB "
            "expression, seconds first (for example '0 */5 * * * *'), or remove it for every five minutes"
        )
    return raw


def blob_trigger_source(environ: Mapping[str, str] | None = None) -> str:
    """`LogsAndContainerScan` (default, polling) or `EventGrid`; anything else is a ConfigurationError."""
    env = os.environ if environ is None else environ
    raw = env.get(BLOB_TRIGGER_SOURCE_SETTING, "").strip() or "LogsAndContainerScan"
    allowed = {"logsandcontainerscan": "LogsAndContainerScan", "eventgrid": "EventGrid"}
    if raw.lower() not in allowed:
        raise ConfigurationError(
            f"setting {BLOB_TRIGGER_SOURCE_SETTING}={raw!r} is invalid: "
            "set it to LogsAndContainerScan (polling, local) or EventGrid (Azure, Flex Consumption)"
        )
    return allowed[raw.lower()]
