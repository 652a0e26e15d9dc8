"""Test-only fault injection (`PIPELINE_FAULTS`), so retries, dead-lettering and compensation can be
exercised through the real host semantics without editing code.

Format: `;`-separated `step=pattern`, step one of validator/adaptor/creator/reporter, pattern an `fnmatch`
pattern over the incoming blob name (`acme-payroll/boom-*.csv`). Never set in Azure.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from shared.settings import PIPELINE_FAULTS_SETTING, ConfigurationError

STEPS = ("validator", "adaptor", "creator", "reporter")


class InjectedFault(RuntimeError):  # noqa: N818 (names agreed in docs/architecture.md)
    """Raised on purpose by a step that `PIPELINE_FAULTS` selects."""


@dataclass(frozen=True)
class FaultPlan:
    """Which (step, blob pattern) pairs fail; empty means none."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, raw: str) -> FaultPlan:
        rules = []
        for item in (part.strip() for part in raw.split(";")):
            if not item:
                continue
            step, sep, pattern = item.partition("=")
            step, pattern = step.strip(), pattern.strip()
            if not sep or step not in STEPS or not pattern:
                raise ConfigurationError(
                    f"setting {PIPELINE_FAULTS_SETTING} has an invalid entry {item!r}: "
                    f"use step=pattern with step one of {', '.join(STEPS)}, "
                    "e.g. adaptor=acme-payroll/boom-*.csv"
                )
            rules.append((step, pattern))
        return cls(tuple(rules))

    def check(self, step: str, blob_name: str) -> None:
        """Raise `InjectedFault` if a rule selects this step for this blob."""
        for rule_step, pattern in self.rules:
            if rule_step == step and fnmatchcase(blob_name, pattern):
                raise InjectedFault(
                    f"injected fault: {PIPELINE_FAULTS_SETTING} {step}={pattern} matches {blob_name}"
                )
