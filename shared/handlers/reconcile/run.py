"""One reconciler run: the three sweeps in order, each bounded, each unable to stop the others."""

from __future__ import annotations

import logging
from collections.abc import Callable

from shared.handlers.reconcile.eventgrid import handle_eventgrid_dead_letters
from shared.handlers.reconcile.incoming import drive_unseen_blobs
from shared.handlers.reconcile.policy import ReconcilePolicy, ReconcileReport
from shared.handlers.reconcile.stalled import repair_stalled_files
from shared.services import Services
from shared.signals import RECONCILER_RUN

log = logging.getLogger(__name__)
Sweep = Callable[[Services, ReconcilePolicy, ReconcileReport], None]
# Dead-lettered events first: they name their blob, so the unseen-blob sweep need not wait for it.
SWEEPS: tuple[tuple[str, Sweep], ...] = (
    ("eventgrid", handle_eventgrid_dead_letters),
    ("incoming", drive_unseen_blobs),
    ("stalled", repair_stalled_files),
)


def reconcile(services: Services, policy: ReconcilePolicy | None = None) -> ReconcileReport:
    """Run every sweep; a sweep that raises (storage down) is logged and the others still run."""
    policy = policy or services.reconcile
    report = ReconcileReport()
    for name, sweep in SWEEPS:
        try:
            sweep(services, policy, report)
        except Exception as exc:
            report.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            log.exception("reconciler: the %s sweep failed; the next run retries", name)
    dimensions = report.as_dimensions()
    # One line per run with the counts as dimensions: the alerts and the workbook query these.
    level = logging.WARNING if report.repairs or report.errors or report.gave_up else logging.INFO
    log.log(level, f"{RECONCILER_RUN} %d repair(s), %d Event Grid dead-letter(s), %d error(s)",
            report.repairs, report.eventgrid_dead_lettered, len(report.errors), extra=dimensions)
    return report
