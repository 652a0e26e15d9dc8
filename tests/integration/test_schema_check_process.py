"""The pain.001 check in its helper process: the same verdicts as the in-process check, one helper kept
and reused, the in-process check whenever the helper does not fit, and no verdict trusted from a helper
that died (`SchemaCheckUnavailable`, a new helper next time). A real helper process over real pipes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import psutil
import pytest

from shared.adapters.schema_check_process import HelperProcessChecks
from shared.domain.adaptation import adapt
from shared.domain.pain001 import StreamingCheck, write_pain001
from shared.ports import SchemaCheck, SchemaCheckUnavailable
from tests.unit.domain.domain_testkit import payment

pytestmark = pytest.mark.integration
CREATED = datetime(2026, 11, 22, 8, 30, 5, tzinfo=UTC)


def _xml(count: int = 40) -> bytes:
    payments = [payment(n, amount=Decimal(f"{n}.25")) for n in range(1, count + 1)]
    document = adapt(payments, file_id="acme.pay.0a1b2c3d", sender="acme", sender_name="ACME Payroll Ltd",
                     creation_time=CREATED)  # fmt: skip
    out = io.BytesIO()
    write_pain001(document, out)
    return out.getvalue()


def _broken() -> bytes:
    return _xml().replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>", 1)


def _feed(check: SchemaCheck, xml: bytes, piece: int = 1000) -> None:
    for start in range(0, len(xml), piece):
        assert check.write(xml[start:start + piece]) == len(xml[start:start + piece])


def _in_process(xml: bytes) -> str | None:
    check = StreamingCheck()
    _feed(check, xml)
    return check.first_error()


@pytest.fixture
def checks() -> Iterator[HelperProcessChecks]:
    made = HelperProcessChecks(min_transactions=10, cores=2)
    yield made
    made.stop()


def _gone(pid: int, within: float = 10.0) -> bool:
    """The process ended (a zombie not yet reaped by its parent has ended too)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_the_helper_gives_the_in_process_verdicts_and_is_kept_for_the_next_document(
    checks: HelperProcessChecks,
) -> None:
    with checks.open(40) as check:
        assert not isinstance(check, StreamingCheck)
        _feed(check, _xml())
        assert check.first_error() is None
    first_helper = checks.helper_pid
    assert first_helper is not None
    with checks.open(40) as check:
        _feed(check, _broken(), piece=7)
        error = check.first_error()
    assert error is not None and "PmtMtd" in error
    assert error == _in_process(_broken())
    assert checks.helper_pid == first_helper


def test_small_documents_one_core_windows_and_a_busy_helper_are_checked_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    single = HelperProcessChecks(min_transactions=10, cores=1)
    with single.open(1_000_000) as check:
        assert isinstance(check, StreamingCheck)
    assert single.helper_pid is None
    with monkeypatch.context() as windows:
        windows.setattr(os, "name", "nt")  # `func start` on Windows: no fcntl, no select() on pipes
        on_windows = HelperProcessChecks(min_transactions=10, cores=2)
    with on_windows.open(1_000_000) as check:
        assert isinstance(check, StreamingCheck)
    assert on_windows.helper_pid is None
    checks = HelperProcessChecks(min_transactions=10, cores=2)
    try:
        with checks.open(9) as small:
            assert isinstance(small, StreamingCheck)
        warmed = checks.helper_pid  # started for the next big document, not waited for
        assert warmed is not None
        with checks.open(40) as first, checks.open(40) as second:
            assert checks.helper_pid == warmed  # the big document found it running
            assert not isinstance(first, StreamingCheck)
            assert isinstance(second, StreamingCheck)  # the helper serves one document at a time
            _feed(first, _xml())
            _feed(second, _broken())
            assert first.first_error() is None
            assert second.first_error() == _in_process(_broken())
    finally:
        checks.stop()


def test_a_helper_that_dies_mid_document_gives_no_verdict_and_the_next_document_gets_a_new_one(
    checks: HelperProcessChecks,
) -> None:
    xml = _xml()
    with checks.open(40) as check:
        _feed(check, xml[: len(xml) // 2])
        dead = checks.helper_pid
        assert dead is not None
        os.kill(dead, signal.SIGKILL)
        assert _gone(dead)
        _feed(check, xml[len(xml) // 2 :])
        with pytest.raises(SchemaCheckUnavailable, match="check helper"):
            check.first_error()
    with checks.open(40) as check:
        _feed(check, _broken())
        assert check.first_error() == _in_process(_broken())
    assert checks.helper_pid not in (None, dead)


def test_a_document_abandoned_midway_does_not_spill_into_the_next(checks: HelperProcessChecks) -> None:
    with pytest.raises(RuntimeError), checks.open(40) as check:
        _feed(check, _xml()[:500])
        raise RuntimeError("the upload failed")
    with checks.open(40) as check:
        _feed(check, _xml())
        assert check.first_error() is None


def test_the_helper_ends_with_the_process_that_started_it_however_it_ends() -> None:
    script = (
        "import sys, time\n"
        "from shared.adapters.schema_check_process import HelperProcessChecks\n"
        "checks = HelperProcessChecks(min_transactions=1, cores=2)\n"
        "with checks.open(1) as check:\n"
        "    check.write(b'<Document')\n"
        "    print(checks.helper_pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})  # fmt: skip
    try:
        assert parent.stdout is not None
        helper = int(parent.stdout.readline())
        parent.kill()  # SIGKILL: no atexit, no cleanup of any kind
        parent.wait(10)
        assert _gone(helper), "the helper outlived the process that started it"
    finally:
        if parent.poll() is None:
            parent.kill()
