"""Deterministic identifiers: sender from a blob path, file id, MsgId, PmtInfId."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.ids import make_file_id, make_msg_id, make_pmt_inf_id, sender_from_blob_path

pytestmark = pytest.mark.unit

ISO_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")


def test_sender_is_the_first_folder() -> None:
    assert sender_from_blob_path("acme-payroll/2026-11-20.csv") == "acme-payroll"
    assert sender_from_blob_path("acme-payroll/sub/x.csv") == "acme-payroll"


@pytest.mark.parametrize("path", ["2026-11-20.csv", "", "acme/", "/x.csv"])
def test_no_sender_folder_is_a_clear_error(path: str) -> None:
    with pytest.raises(ValueError, match="sender folder"):
        sender_from_blob_path(path)


def test_file_id_shape_and_determinism() -> None:
    file_id = make_file_id("acme-payroll/2026-11-20.csv", '"0x8DCF"')
    assert re.fullmatch(r"acme-payroll\.2026-11-20\.[0-9a-f]{8}", file_id)
    assert file_id == make_file_id("acme-payroll/2026-11-20.csv", '"0x8DCF"')
    assert file_id != make_file_id("acme-payroll/2026-11-20.csv", '"0x8DD0"')  # a re-upload is a new file
    assert file_id != make_file_id("acme-payroll/2026-11-20.CSV", '"0x8DCF"')


def test_file_id_slugs_odd_names() -> None:
    assert make_file_id("Big Corp/Pay Run #7.csv", "v1").startswith("big-corp.pay-run-7.")


@given(st.text(min_size=1, max_size=200))
def test_msg_id_is_deterministic_short_and_in_the_iso_set(file_id: str) -> None:
    msg_id = make_msg_id(file_id)
    assert msg_id == make_msg_id(file_id)
    assert ISO_ID.fullmatch(msg_id) and len(msg_id) <= 29
    for group in (1, 42, 9999, 123456):
        pmt_inf_id = make_pmt_inf_id(msg_id, group)
        assert ISO_ID.fullmatch(pmt_inf_id) and pmt_inf_id.endswith(f"-G{group}")


def test_msg_ids_differ_for_files_with_the_same_prefix() -> None:
    a = make_msg_id("acme-payroll.2026-11-20.3f9a1c2e")
    b = make_msg_id("acme-payroll.2026-11-20.3f9a1c2f")
    assert a != b
