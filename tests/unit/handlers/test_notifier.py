"""FileNotifier over fakes: each ending is posted once per delivery with the event's id as idempotency key;
without a URL it posts nothing; a failing receiver is retried and then archived, and no state changes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from shared.handlers.faults import InjectedFault
from shared.handlers.notifier import handle_ending_notification
from shared.handlers.participant_deadletter import handle_participant_dead_lettered
from shared.handlers.timeline import read_terminal
from shared.handlers.validator import handle_incoming_file
from shared.services import Services
from shared.settings import ConfigurationError, Settings
from shared.topology import FILE_ENDED_TOPIC, INCOMING_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, FakePublisher, make_services
from tests.samplefiles import invalid_csv
from tests.unit.handlers.driver import deliver, fail_until_dead_lettered

pytestmark = pytest.mark.unit
NAME = "acme-payroll/2026-11-20.csv"


@dataclass
class FakeWebhook:
    posts: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    failing: bool = False

    def post_json(self, body: bytes, idempotency_key: str) -> None:
        if self.failing:
            raise InjectedFault("receiver answered 500")
        self.posts.append((idempotency_key, json.loads(body)))


def rejected_file(webhook: FakeWebhook | None) -> tuple[Services, FakeBlobStore, FakePublisher, str]:
    services, blobs, publisher, _ = make_services()
    services.webhook = webhook
    blobs.put(INCOMING_CONTAINER, NAME, invalid_csv(FAKE_EXECUTION_DATE))
    return services, blobs, publisher, handle_incoming_file(services, NAME).file_id


def test_an_ending_is_posted_with_the_state_and_where_to_look() -> None:
    webhook = FakeWebhook()
    services, _, publisher, file_id = rejected_file(webhook)
    outcome = handle_ending_notification(services, deliver(publisher, FILE_ENDED_TOPIC))

    assert outcome.state == "notified"
    ((key, body),) = webhook.posts
    assert key == f"{file_id}:ended"
    assert body["state"] == "rejected" and body["error_count"] == 3
    assert body["status_report"] == f"reports/acme-payroll/{file_id}.pain.002.xml"


def test_without_a_url_nothing_is_posted() -> None:
    services, _, publisher, _ = rejected_file(None)
    outcome = handle_ending_notification(services, deliver(publisher, FILE_ENDED_TOPIC))
    assert outcome.state == "skipped" and "NOTIFIER_WEBHOOK_URL" in outcome.detail


def test_a_failing_receiver_is_retried_then_archived_with_its_own_error() -> None:
    services, blobs, publisher, file_id = rejected_file(FakeWebhook(failing=True))
    dead = fail_until_dead_lettered(lambda d: handle_ending_notification(services, d),
                                    deliver(publisher, FILE_ENDED_TOPIC), InjectedFault, 5)
    outcome = handle_participant_dead_lettered(services, dead, "notifier")

    archive = json.loads(blobs.read("workflow", outcome.detail.removeprefix("workflow/")))
    assert archive["entity"] == "file-ended/notifier" and archive["last_error"]["step"] == "notifier"
    assert (read_terminal(blobs, file_id) or {})["state"] == "rejected"


@pytest.mark.parametrize("url", ["ftp://example.org/", "example.org/hook", "http://"])
def test_a_webhook_url_that_is_not_http_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="NOTIFIER_WEBHOOK_URL"):
        _ = Settings.from_env({"NOTIFIER_WEBHOOK_URL": url}).notifier_webhook_url


def test_an_unset_webhook_url_means_no_notifications() -> None:
    assert Settings.from_env({}).notifier_webhook_url is None
    assert Settings.from_env({"NOTIFIER_WEBHOOK_URL": "http://127.0.0.1:8099/"}).notifier_webhook_url
