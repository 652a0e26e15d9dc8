"""The worked example of a participant, through the real stack: FileNotifier posts each file's ending to
the webhook once (a redelivery carries the same Idempotency-Key, which the receiver drops)."""

from __future__ import annotations

import time

import pytest

from localdev.stack.webhook_receiver import WebhookReceiver
from tests.e2e.conftest import Pipeline
from tests.samplefiles import invalid_csv, payment_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_each_ending_reaches_the_webhook_once(pipeline: Pipeline, webhook: WebhookReceiver, tag: str) -> None:
    delivered = pipeline.upload(f"acme-payroll/notify-ok-{tag}.csv",
                                payment_csv(2, tag=tag, execution_date=pipeline.execution_date))
    rejected = pipeline.upload(f"acme-payroll/notify-bad-{tag}.csv", invalid_csv(pipeline.execution_date))
    for file_id in (delivered, rejected):
        pipeline.wait_terminal(file_id)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = [n for n in webhook.received if n["file_id"] in (delivered, rejected)]
        if len(seen) == 2:
            break
        time.sleep(0.2)
    assert sorted((n["file_id"], n["state"]) for n in seen) == sorted(
        [(delivered, "delivered"), (rejected, "rejected")])
    assert next(n for n in seen if n["file_id"] == rejected)["error_count"] == 3
