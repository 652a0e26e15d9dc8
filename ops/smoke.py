"""The smoke test after a deploy: drop a generated file, wait for its terminal state, check its report.

The file is built from the target's own reference table (the first active sender, one of its debtor
accounts and currencies), so it is valid wherever it runs; its name is unique (`smoke-<time>-<random>`)
and so are its payment ids, so it is never a duplicate. Exit 0 only when it is delivered and its pain.001
is in `outgoing/`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ops.target import Target
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.identity import incoming_file_id
from shared.handlers.status import file_status
from shared.topology import INCOMING_CONTAINER, OUTGOING_CONTAINER, REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB

HEADER = ("payment_id,debtor_iban,debtor_name,creditor_iban,creditor_name,creditor_bic,"
          "amount,currency,execution_date,remittance_info")
CREDITOR = ("NL91ABNA0417164300", "Smoke Test Creditor", "ABNANL2A")


@dataclass(frozen=True)
class SmokeResult:
    file_id: str
    state: str
    evidence: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.state == "delivered" and bool(self.evidence)


def smoke_file(reference: dict[str, Any], today: date, tag: str) -> tuple[str, bytes]:
    """(sender, CSV bytes) for the first active sender of the reference table."""
    for sender, policy in sorted(reference["senders"].items()):
        usable = policy.get("debtor_accounts") and "EUR" in policy.get("currencies", [])
        if policy.get("status") == "active" and usable:
            execution = today + timedelta(days=7)
            while execution.weekday() >= 5:
                execution += timedelta(days=1)
            iban, name, bic = CREDITOR
            debtor, debtor_name = policy["debtor_accounts"][0], policy["name"][:70]
            rows = [HEADER] + [f"{tag}-{n},{debtor},{debtor_name},{iban},{name},{bic},10.0{n},EUR,"
                               f"{execution.isoformat()},Smoke {tag} {n}" for n in (1, 2)]
            return sender, ("\n".join(rows) + "\n").encode()
    raise RuntimeError("the reference table has no active sender that pays in EUR; the smoke test needs one")


def run_smoke(target: Target, timeout: float = 300.0, today: date | None = None) -> SmokeResult:
    store = AzureBlobStore(target.blob_service)
    reference = json.loads(store.read(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB))
    now = datetime.now(UTC)
    tag = f"SMOKE{now:%H%M%S}{secrets.token_hex(3).upper()}"
    sender, data = smoke_file(reference, today or now.date(), tag)
    name = f"{sender}/smoke-{now:%Y%m%dT%H%M%S}-{tag.lower()}.csv"
    etag = store.write(INCOMING_CONTAINER, name, data, overwrite=False)
    file_id = incoming_file_id(name, etag)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        status = file_status(store, file_id)
        if status is not None and status["state"] != "in_progress":
            output = f"{sender}/{file_id}.xml"
            evidence = f"{OUTGOING_CONTAINER}/{output}" if store.exists(OUTGOING_CONTAINER, output) else ""
            if status["state"] != "delivered":
                terminal = status["terminal"]
                evidence = str(terminal.get("report") or terminal) if terminal else ""
            return SmokeResult(file_id, status["state"], evidence, time.monotonic() - started)
        time.sleep(1.0)
    return SmokeResult(file_id, "in_progress", "", time.monotonic() - started)


def smoke(target: Target, args: argparse.Namespace) -> int:
    print(f"smoke: dropping a generated file into {target.name} ...", flush=True)
    result = run_smoke(target, timeout=args.timeout, today=args.today)
    print(f"smoke: {result.file_id} -> {result.state} in {result.seconds:.1f} s"
          + (f" ({result.evidence})" if result.evidence else ""))
    return 0 if result.passed else 1
