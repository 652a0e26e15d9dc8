"""Console logging for the devhost: a timestamped line per record, quiet Azure SDK loggers."""

from __future__ import annotations

import logging
import sys


def configure(verbose: bool = False, worker: str | None = None) -> None:
    """`worker` (e.g. "w1") tags every line when --workers runs several processes into one log."""
    handler = logging.StreamHandler(sys.stderr)
    tag = f"[{worker}] " if worker else ""
    handler.setFormatter(
        logging.Formatter(
            "[%(asctime)s.%(msecs)03d] %(levelname)-7s " + tag + "%(name)s: %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S",
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # The SDKs log every HTTP request and AMQP frame at INFO; the host's own lines are what matter here.
    for noisy in ("azure", "uamqp", "azure.servicebus._pyamqp"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
