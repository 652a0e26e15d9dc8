"""`file.ended` v1: what every participant may rely on (the golden bodies, the issue records, the
Service Bus properties a subscription can filter on), and what the contract refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from shared.contracts import EndingIssue, FileEnded, InlineRecords, PoisonMessage, decode_message
from shared.handlers.ending import ended_message
from shared.handlers.timeline import write_terminal
from shared.topology import FILE_ENDED_TOPIC, namespace
from tests.fakes import make_services

pytestmark = pytest.mark.contract
GOLDEN = Path(__file__).with_name("golden")
ISSUES: TypeAdapter[list[EndingIssue]] = TypeAdapter(list[EndingIssue])


@pytest.mark.parametrize("state", ["delivered", "rejected", "duplicate", "failed"])
def test_each_terminal_state_has_a_golden_body(state: str) -> None:
    message = decode_message((GOLDEN / f"file.ended.v1.{state}.json").read_bytes())
    assert isinstance(message, FileEnded)
    assert message.data.state == state
    assert message.message_id == f"{message.correlation_id}:ended"
    if isinstance(message.data.issues, InlineRecords):
        ISSUES.validate_python(message.data.issues.records)  # every record is an EndingIssue


def test_a_delivered_file_names_the_pain001_msg_id_and_its_warnings() -> None:
    data = decode_message((GOLDEN / "file.ended.v1.delivered.json").read_bytes()).data
    assert isinstance(data.issues, InlineRecords)  # type: ignore[union-attr]
    (warning,) = ISSUES.validate_python(data.issues.records)  # type: ignore[union-attr]
    assert data.msg_id and warning.severity == "warning" and warning.before != warning.after  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("state", "in_progress", r"data\.state: Input should be 'delivered', 'rejected', 'duplicate' or"),
        ("surprise", 1, r"data\.surprise: Extra inputs are not permitted"),
        ("issues", {"kind": "inline"}, r"data\.issues\.inline\.records: Field required"),
    ],
)
def test_a_malformed_file_ended_is_refused_precisely(path: str, value: object, reason: str) -> None:
    document = json.loads((GOLDEN / "file.ended.v1.failed.json").read_text(encoding="utf-8"))
    document["data"][path] = value
    with pytest.raises(PoisonMessage, match=reason):
        decode_message(json.dumps(document))


def test_the_topic_detects_duplicates_so_a_re_announcement_is_swallowed() -> None:
    (topic,) = [t for t in namespace()["Topics"] if t["Name"] == FILE_ENDED_TOPIC]
    assert topic["Properties"]["RequiresDuplicateDetection"] is True


def test_every_announcement_of_one_ending_has_the_same_id_and_bytes() -> None:
    services, _, _, clock = make_services()
    write_terminal(services.blobs, clock, "acme-payroll.x.0000000a", "failed", failed_step="creator",
                   reason="creator failed", needs_attention=False)
    first = ended_message(services, "acme-payroll.x.0000000a")
    clock.advance(hours=1)
    again = ended_message(services, "acme-payroll.x.0000000a")
    assert first is not None and again is not None
    assert first.model_dump_json() == again.model_dump_json()
    assert first.message_id == "acme-payroll.x.0000000a:ended"
