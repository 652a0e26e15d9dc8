"""Generate a valid payment file of N rows for a sender, deterministically (same arguments, same bytes).

Used by the benchmark, the property tests and to build the large sample. Rows use the sender's
registered debtor accounts and allowed currencies from the reference table, amounts within its
per-payment limit, execution dates on business days from `--first-date` on, and a fixed pool of
creditors (real IBAN checksums computed with schwifty), with some accented names to exercise
transliteration. A payment that is not in euro is not a SEPA credit transfer, so it gets a creditor
with a BIC and the optional address columns.

    python -m samples.generate --sender acme-payroll --rows 2000 --out samples/incoming/acme-payroll/big.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from schwifty import IBAN

from shared.domain.business_days import is_business_day
from shared.domain.currencies import minor_units
from shared.domain.reference import SenderPolicy, parse_reference_table
from shared.domain.row_checks import COLUMNS

ADDRESS_COLUMNS = ("creditor_country", "creditor_town")
_TOWNS = ("Berlin", "München", "Köln", "Hamburg", "Düsseldorf")

DEFAULT_REFERENCE = Path(__file__).with_name("reference-table.json")
_BANKS = ("37040044", "50010517", "10070000", "20041111", "70020270", "60050101")
_FIRST = (
    "Anna",
    "Jörg",
    "Zoë",
    "Łukasz",
    "María",
    "Søren",
    "Chloé",
    "Ahmed",
    "Li",
    "Olivia",
    "Noah",
    "Émile",
)
_LAST = ("Müller", "Schmidt", "Nowak", "García", "Dubois", "Jensen", "O'Brien", "Rossi", "Smith", "Öztürk")
_PURPOSE = ("Salary", "Invoice", "Expense claim", "Bonus", "Refund")


def creditor_pool(size: int = 500, seed: int = 7) -> list[tuple[str, str, str]]:
    """(IBAN, name, BIC or "") for `size` fictitious creditors; German IBANs with valid check digits."""
    rng = random.Random(seed)
    pool = []
    for n in range(size):
        iban = IBAN.generate("DE", bank_code=rng.choice(_BANKS), account_code=f"{rng.randrange(10**10):010d}")
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        bic = iban.bic.compact if (iban.bic is not None and n % 3) else ""  # a third without BIC
        pool.append((iban.compact, name, bic))
    return pool


def generate_rows(
    count: int,
    *,
    sender: str,
    policy: SenderPolicy,
    first_date: date,
    days: int = 28,
    seed: int = 0,
    pool: list[tuple[str, str, str]] | None = None,
) -> Iterator[list[str]]:
    """`count` valid CSV rows (without header) for `sender`; amounts keep the file under its limits."""
    rng = random.Random(seed)
    creditors = pool if pool is not None else creditor_pool()
    with_bic = [creditor for creditor in creditors if creditor[2]]
    cap = min(policy.max_payment_amount, policy.max_file_amount / max(count, 1), Decimal("5000"))
    dates = business_days(first_date, days, policy.currencies)
    for n in range(1, count + 1):
        debtor = policy.debtor_accounts[n % len(policy.debtor_accounts)]
        # Mostly the sender's first (home) currency, as in a real payroll or supplier run; every tenth
        # row in one of its other currencies, so that non-SEPA blocks and addresses are always there.
        others = policy.currencies[1:] or policy.currencies
        currency = others[(n // 10) % len(others)] if n % 10 == 0 else policy.currencies[0]
        sepa = currency == "EUR"  # every debtor and creditor here is in the SEPA scheme
        candidates = creditors if sepa else with_bic
        iban, name, bic = candidates[rng.randrange(len(candidates))]
        yield [
            f"{sender[:12].upper()}-{seed}-{n:07d}",
            debtor,
            policy.name,
            iban,
            name,
            bic,
            _amount(rng, cap, currency),
            currency,
            dates[rng.randrange(len(dates))].isoformat(),
            f"{rng.choice(_PURPOSE)} {first_date:%Y-%m} ref {n}",
            "" if sepa else "DE",
            "" if sepa else _TOWNS[n % len(_TOWNS)],
        ]


def business_days(first: date, span: int, currencies: list[str]) -> list[date]:
    """The days among the `span` from `first` that are business days for every one of `currencies`
    (the app's own calendar), so that no generated date is shifted or rejected."""
    days = [first + timedelta(days=n) for n in range(span)]
    return [day for day in days if all(is_business_day(day, code) for code in currencies)] or [first]


def _amount(rng: random.Random, cap: Decimal, currency: str) -> str:
    decimals = minor_units(currency) or 0
    scale = 10**decimals
    units = rng.randint(1, max(1, int(cap * scale)))
    return f"{units // scale}.{units % scale:0{decimals}d}" if decimals else str(units)


def write_csv(rows: Iterator[list[str]], out: BinaryIO) -> int:
    """Write the header and the rows as UTF-8 CSV with \\n line ends; return the number of rows."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS + ADDRESS_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    text.detach()  # leave `out` open for the caller
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--sender", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--first-date", type=date.fromisoformat, default=date(2028, 1, 14))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    table = parse_reference_table(args.reference.read_bytes())
    if args.sender not in table.senders:
        parser.error(f"sender {args.sender!r} is not in {args.reference}")
    rows = generate_rows(args.rows, sender=args.sender, policy=table.senders[args.sender],
                         first_date=args.first_date, seed=args.seed)  # fmt: skip
    if args.out is None:
        write_csv(rows, sys.stdout.buffer)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("wb") as out:
            write_csv(rows, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
