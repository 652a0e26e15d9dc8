"""The notifier's HTTP adapter against the local receiver on loopback: a real POST, the idempotency key
doing its job, and every failure a WebhookError (so the trigger retries)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from localdev.stack.webhook_receiver import WebhookReceiver
from shared.adapters.webhook import HttpWebhook, WebhookError

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    try:
        yield server
    finally:
        server.stop()


def test_a_post_arrives_once_however_often_it_is_redelivered(receiver: WebhookReceiver) -> None:
    hook = HttpWebhook(receiver.url)
    body = json.dumps({"file_id": "a.b.0000000a", "state": "delivered"}).encode()
    hook.post_json(body, "a.b.0000000a:ended")
    hook.post_json(body, "a.b.0000000a:ended")
    assert receiver.posts == 2 and receiver.received == [{"file_id": "a.b.0000000a", "state": "delivered"}]


def test_a_receiver_error_raises_so_the_trigger_retries(receiver: WebhookReceiver) -> None:
    receiver.fail = 1
    hook = HttpWebhook(receiver.url)
    with pytest.raises(WebhookError, match="answered 500"):
        hook.post_json(b"{}", "k")
    hook.post_json(b"{}", "k")  # the retry goes through
    assert receiver.received == [{}]


def test_an_unreachable_receiver_raises() -> None:
    server = WebhookReceiver().start()
    url = server.url
    server.stop()
    with pytest.raises(WebhookError, match="could not be reached"):
        HttpWebhook(url, timeout=2).post_json(b"{}", "k")
