"""The warnings of one file's rows: one per distinct change, counting the rows it happened on.

A payroll file carries the same accented name on many rows; its customer needs to read that
`Jörg Müller` is sent as `Jorg Muller` once, with the number of rows, not once per row.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.domain import issues as codes
from shared.domain.issues import ValidationWarning

_REMEMBER_AT_MOST = 20_000  # distinct warnings remembered for counting; later ones are still reported


class RowWarnings:
    """Hands each new warning to `warn`; a repeat of a known one only increments its `rows`."""

    def __init__(self, warn: Callable[[ValidationWarning], None]) -> None:
        self._warn = warn
        self._known: dict[tuple[str, str, str], ValidationWarning] = {}
        self._changed: dict[str, dict[str, ValidationWarning]] = {}  # column -> before -> its warning

    def once(self, key: tuple[str, str, str], make: Callable[[], ValidationWarning]) -> None:
        known = self._known.get(key)
        if known is not None:
            known.rows += 1
            return
        warning = make()
        if len(self._known) < _REMEMBER_AT_MOST:
            self._known[key] = warning
        self._warn(warning)

    def changed(self, row: int, column: str, before: str, after: str) -> None:
        """The SEPA Latin set changed a text value (called on many rows: the repeat is checked first)."""
        seen = self._changed.get(column)
        if seen is None:
            seen = self._changed[column] = {}
        known = seen.get(before)
        if known is not None:
            known.rows += 1
            return
        warning = ValidationWarning(
            row, column, codes.TRANSLITERATED,
            f"row {row}, {column}: {before!r} is sent as {after!r}: pain.001 carries only the SEPA Latin "
            "character set; write it that way to choose the spelling yourself",
            before, after,
        )  # fmt: skip
        if len(seen) < _REMEMBER_AT_MOST:
            seen[before] = warning
        self._warn(warning)

    def shifted(self, row: int, written: str, executed: str, why: str) -> None:
        self.once((codes.DATE_SHIFTED, "execution_date", written), lambda: ValidationWarning(
            row, "execution_date", codes.DATE_SHIFTED,
            f"row {row}, execution_date: {written} is {why}, not a business day; the payment is requested "
            f"for {executed} (the sender's policy for such days)",
            written, executed,
        ))  # fmt: skip

    def unknown_bic(self, row: int, bic: str) -> None:
        self.once((codes.BIC_UNKNOWN, "creditor_bic", bic), lambda: ValidationWarning(
            row, "creditor_bic", codes.BIC_UNKNOWN,
            f"row {row}, creditor_bic: {bic} is not in the BIC registry this pipeline knows; it is sent as "
            "written, but check it if the bank refuses the payment",
            bic, bic,
        ))  # fmt: skip
