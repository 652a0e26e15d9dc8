"""The notifier's webhook over HTTP(S) with the standard library: one POST per ending, no client to keep."""

from __future__ import annotations

import urllib.error
import urllib.request

TIMEOUT_SECONDS = 10.0  # well inside the message lock (1 min): a slow receiver is retried, not hung on


class WebhookError(RuntimeError):
    """The receiver answered with something other than 2xx, or could not be reached."""


class HttpWebhook:
    """POSTs JSON to one URL; `Idempotency-Key` lets the receiver drop a redelivered notification."""

    def __init__(self, url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url
        self.timeout = timeout

    def post_json(self, body: bytes, idempotency_key: str) -> None:
        request = urllib.request.Request(  # the scheme is http(s) only: checked in shared/settings.py
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_key})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise WebhookError(f"webhook {self.url} answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise WebhookError(f"webhook {self.url} could not be reached: {exc}") from None
        if not 200 <= status < 300:
            raise WebhookError(f"webhook {self.url} answered {status}")
