"""How the app's storage clients retry: short waits that suit a pipeline, in one place.

azure-storage-blob's default (`ExponentialRetry(initial_backoff=15, increment_base=3)`) waits about 15,
18 and 24 s: after a storage blip of a few seconds no function call finished for 12 to 20 s, and a
function call holds its message lock meanwhile. A pipeline wants the opposite trade: retry soon and a
little longer, then fail, because the trigger retries the whole call anyway (blob trigger: 5 attempts,
then the poison queue; Service Bus: redelivery up to MaxDeliveryCount, then dead-letter). Azure's
guidance for Functions is the same: keep SDK retries short and let the trigger's retries do the rest.

The schedule below waits about 2, 3, 4.6, 7 and 11 s (plus or minus half a second): a 3 to 5 s outage
costs a call about one wait more than the outage, and the whole budget (~28 s) stays well inside a
Service Bus lock (60 s) and the function timeout.
"""

from __future__ import annotations

from azure.storage.blob import ExponentialRetry

INITIAL_BACKOFF_SECONDS = 0.5
INCREMENT_BASE = 1.6
RETRY_TOTAL = 5
JITTER_SECONDS = 0.5


def storage_retry_policy() -> ExponentialRetry:
    """A fresh policy per client (policies hold no shared state, but one each keeps that obvious)."""
    return ExponentialRetry(
        initial_backoff=INITIAL_BACKOFF_SECONDS,  # type: ignore[arg-type]  # floats work; the stub says int
        increment_base=INCREMENT_BASE,  # type: ignore[arg-type]
        retry_total=RETRY_TOTAL,
        random_jitter_range=JITTER_SECONDS,  # type: ignore[arg-type]
    )


def backoff_schedule() -> list[float]:
    """The waits before each retry, without jitter (what the docstring promises; tested)."""
    return [INITIAL_BACKOFF_SECONDS + INCREMENT_BASE**count for count in range(1, RETRY_TOTAL + 1)]
