"""Property: any valid file carried by the handlers ends `delivered` with a pain.001 whose control sum and
transaction count equal the input's, and a redelivered chain changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from shared.contracts import encode_message
from shared.domain.pain001 import validate_pain001
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.creator import handle_file_adapted
from shared.handlers.ending import ended_message
from shared.handlers.validator import handle_incoming_file
from shared.topology import (
    FILE_ADAPTED_QUEUE,
    FILE_ENDED_TOPIC,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    OUTGOING_CONTAINER,
)
from tests.fakes import make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import HEADER
from tests.unit.handlers.driver import deliver

pytestmark = pytest.mark.unit
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
DEBTORS = ("DE89370400440532013000", "DE62370400440532013001", "CH9300762011623852957")
CURRENCY = {"DE89370400440532013000": "EUR", "DE62370400440532013001": "EUR", "CH9300762011623852957": "CHF"}

row = st.tuples(
    st.sampled_from(DEBTORS),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000.00"), places=2),
    st.sampled_from(["2026-11-20", "2026-11-27", "2027-01-04"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=40), threshold=st.sampled_from([4096, 192 * 1024]))
def test_any_valid_file_is_delivered_with_matching_sums(
    rows: list[tuple[str, Decimal, str]], threshold: int
) -> None:
    services, blobs, publisher, _ = make_services(threshold=threshold)
    lines = [HEADER + ",creditor_country,creditor_town"] + [  # CHF is not SEPA: it needs the address
        f"P-{n},{debtor},ACME Payroll Ltd,NL91ABNA0417164300,Jan de Vries,ABNANL2A,"
        f"{amount},{CURRENCY[debtor]},{day},x,NL,Amsterdam"
        for n, (debtor, amount, day) in enumerate(rows)
    ]
    blobs.put(INCOMING_CONTAINER, "acme-payroll/p.csv", ("\n".join(lines) + "\n").encode())

    file_id = handle_incoming_file(services, "acme-payroll/p.csv").file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    handle_file_validated(services, validated)
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))

    assert_terminal_state(blobs, file_id, "delivered")
    xml = blobs.read(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")
    validate_pain001(xml)
    header = etree.fromstring(xml).find(".//p:GrpHdr", NS)
    assert header is not None
    assert Decimal(header.findtext("p:CtrlSum", namespaces=NS) or "") == sum(a for _, a, _ in rows)
    assert int(header.findtext("p:NbOfTxs", namespaces=NS) or "") == len(rows)
    (announced,) = publisher.to(FILE_ENDED_TOPIC)  # from what the creator had in hand ...
    read_back = ended_message(services, file_id)  # ... is what the timeline gives a redelivery
    assert read_back is not None and announced.body == encode_message(read_back)
