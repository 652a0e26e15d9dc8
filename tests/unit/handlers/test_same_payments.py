"""The duplicate-file check compares payments, not bytes: re-saved copies of a file end `duplicate`."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from shared.handlers import registry
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.creator import handle_file_adapted
from shared.handlers.timeline import read_open_marker, read_terminal, write_terminal
from shared.handlers.validator import handle_incoming_file
from shared.topology import FILE_ADAPTED_QUEUE, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER, REJECTED_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import deliver

pytestmark = pytest.mark.unit
ORIGINAL = payment_csv(3, execution_date=FAKE_EXECUTION_DATE, tag="SAME")


def crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


def no_final_newline(data: bytes) -> bytes:
    return data.rstrip(b"\n")


def rows_reordered(data: bytes) -> bytes:
    header, *rows = data.decode().splitlines()
    return ("\n".join([header, *reversed(rows)]) + "\n").encode()


@pytest.mark.parametrize("resave", [crlf, bom, no_final_newline, rows_reordered,
                                    lambda d: bom(crlf(no_final_newline(rows_reordered(d))))])
def test_the_same_payments_re_saved_end_duplicate_naming_the_first(resave: Callable[[bytes], bytes]) -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, "acme-payroll/first.csv", ORIGINAL)
    first = handle_incoming_file(services, "acme-payroll/first.csv")
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    assert resave(ORIGINAL) != ORIGINAL
    blobs.put(INCOMING_CONTAINER, "acme-payroll/again.csv", resave(ORIGINAL))

    again = handle_incoming_file(services, "acme-payroll/again.csv")

    assert (again.state, again.detail) == ("duplicate", first.file_id)
    assert_terminal_state(blobs, again.file_id, "duplicate")
    report = json.loads(blobs.read(REJECTED_CONTAINER, f"{again.file_id}/report.json"))
    assert report["duplicate_of"] == first.file_id and first.file_id in report["message"]
    assert publisher.to(FILE_VALIDATED_QUEUE) == []


def test_a_registry_entry_left_by_a_file_that_ended_rejected_blocks_nothing() -> None:
    """A crash after the terminal state and before the release leaves the entry behind: it is stale."""
    services, blobs, _, clock = make_services()
    blobs.put(INCOMING_CONTAINER, "acme-payroll/first.csv", ORIGINAL)
    first = handle_incoming_file(services, "acme-payroll/first.csv")
    pointer = (read_open_marker(blobs, first.file_id) or {})["registry"]
    blobs.delete("workflow", f"timeline/{first.file_id}/terminal.json")  # pretend it ended rejected
    write_terminal(blobs, clock, first.file_id, "rejected", error_count=1)

    owner = registry.claim(blobs, clock, sender="acme-payroll", fingerprint=pointer["fingerprint"],
                           file_id="acme-payroll.other.0000000b", blob_name="acme-payroll/other.csv")

    assert owner is None
    assert read_terminal(blobs, first.file_id) is not None
