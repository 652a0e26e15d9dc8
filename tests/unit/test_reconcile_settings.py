"""The reconciler's settings: a schedule fixed at import, two waits that tests shorten; bad values name
the setting and what to set."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.bootstrap import build_services
from shared.handlers.reconcile.policy import DEFAULT_STALLED_AFTER, DEFAULT_UNSEEN_AFTER
from shared.settings import ConfigurationError, Settings, reconcile_schedule

pytestmark = pytest.mark.unit
AZURITE = "UseDevelopmentStorage=true"


def test_the_schedule_defaults_to_every_five_minutes() -> None:
    assert reconcile_schedule({}) == "0 */5 * * * *"
    assert reconcile_schedule({"RECONCILE_SCHEDULE": "*/5 * * * * *"}) == "*/5 * * * * *"


def test_a_five_field_schedule_is_refused_with_what_to_write() -> None:
    with pytest.raises(ConfigurationError, match=r"RECONCILE_SCHEDULE=.*six-field NCRONTAB"):
        reconcile_schedule({"RECONCILE_SCHEDULE": "*/5 * * * *"})


def test_the_waits_default_and_can_be_shortened() -> None:
    services = build_services(Settings.from_env({"PaymentsStorage": AZURITE}))
    assert services.reconcile.unseen_after == DEFAULT_UNSEEN_AFTER
    assert services.reconcile.stalled_after == DEFAULT_STALLED_AFTER
    quick = build_services(Settings.from_env({
        "PaymentsStorage": AZURITE,
        "RECONCILE_UNSEEN_AFTER_SECONDS": "2",
        "RECONCILE_STALLED_AFTER_SECONDS": "4.5",
    }))
    assert quick.reconcile.unseen_after == timedelta(seconds=2)
    assert quick.reconcile.stalled_after == timedelta(seconds=4.5)


def test_a_bad_wait_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="RECONCILE_STALLED_AFTER_SECONDS='soon'"):
        build_services(Settings.from_env({"PaymentsStorage": AZURITE,
                                          "RECONCILE_STALLED_AFTER_SECONDS": "soon"}))
