"""App settings read by our own code, and the error for a missing or malformed one.

Only `shared/bootstrap.py` (and the blob trigger's source switch) read the environment; everything
else receives values. A `ConfigurationError` always names the setting and says what to set.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from shared.topology import HOST_STORAGE_SETTING, PAYMENTS_STORAGE_SETTING, SERVICE_BUS_SETTING

PIPELINE_FAULTS_SETTING = "PIPELINE_FAULTS"
BLOB_TRIGGER_SOURCE_SETTING = "BLOB_TRIGGER_SOURCE"
REFERENCE_CACHE_SECONDS_SETTING = "REFERENCE_CACHE_SECONDS"
PIPELINE_TODAY_SETTING = "PIPELINE_TODAY"
NOTIFIER_WEBHOOK_URL_SETTING = "NOTIFIER_WEBHOOK_URL"
DEFAULT_REFERENCE_CACHE_SECONDS = 60.0


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
        raw = self.environ.get(REFERENCE_CACHE_SECONDS_SETTING, "")
        if not raw.strip():
            return DEFAULT_REFERENCE_CACHE_SECONDS
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not math.isfinite(value) or value < 0:
            raise ConfigurationError(
                f"setting {REFERENCE_CACHE_SECONDS_SETTING}={raw!r} is invalid: "
                "set it to a number of seconds >= 0, or remove it for the default of 60"
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
