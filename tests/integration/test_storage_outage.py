"""A storage outage of a few seconds costs the app's calls seconds, not minutes (shared/adapters/retry.py).

Real Azurite is stopped for OUTAGE seconds while the app's own client (built as the app builds it) writes;
the write must succeed once Azurite is back, through the SDK's retries alone.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from localdev.stack.azurite import AzuriteProcess
from shared.adapters.connections import blob_service_client
from shared.adapters.retry import backoff_schedule, storage_retry_policy

OUTAGE = 3.0


@pytest.mark.unit
def test_the_schedule_is_seconds_and_fits_inside_a_message_lock() -> None:
    waits = backoff_schedule()
    assert waits[0] < 3 and sum(waits[:2]) < OUTAGE + 3  # a 3 s blip costs about one wait more
    assert sum(waits) < 60  # the whole budget inside a Service Bus lock (PT1M)
    policy = storage_retry_policy()
    assert policy.total_retries == len(waits)


@pytest.mark.integration
@pytest.mark.slow
def test_a_write_during_a_short_outage_succeeds_soon_after_storage_returns(tmp_path: Path) -> None:
    azurite = AzuriteProcess(tmp_path / "azurite")  # on disk, so the restart keeps the container
    azurite.start_and_wait()
    try:
        service = blob_service_client("PaymentsStorage", {"PaymentsStorage": azurite.connection_string})
        container = service.create_container("outage")
        azurite.stop()
        restarted = threading.Timer(OUTAGE, azurite.start_and_wait)
        restarted.start()
        started = time.monotonic()
        container.upload_blob("during-outage.txt", b"still here")
        elapsed = time.monotonic() - started
        restarted.join()
        assert container.download_blob("during-outage.txt").readall() == b"still here"
        # The SDK's default policy would still be in its first wait (12-18 s) here.
        assert elapsed < OUTAGE + sum(backoff_schedule()[:3]), f"the write took {elapsed:.1f}s"
    finally:
        azurite.stop()
