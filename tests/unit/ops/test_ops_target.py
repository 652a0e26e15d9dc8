"""The operator tools' targets and the smoke file, offline: the azd environment's values become the
right endpoints with Entra ID, a missing value says what to run, and the smoke file is valid."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from ops.azd_env import AzdEnvironmentError, read_values
from ops.smoke import smoke_file
from ops.target import azd_target
from shared.domain.reference import parse_reference_table
from shared.domain.validation import validate_payment_file

pytestmark = pytest.mark.unit
REFERENCE = Path(__file__).resolve().parents[3] / "samples" / "reference-table.json"


def _azd(root: Path, name: str, values: str) -> None:
    (root / ".azure" / name).mkdir(parents=True)
    (root / ".azure" / "config.json").write_text(json.dumps({"version": 1, "defaultEnvironment": name}))
    (root / ".azure" / name / ".env").write_text(values)


def test_the_azd_environment_gives_the_endpoints_and_entra_id(tmp_path: Path) -> None:
    _azd(tmp_path, "payments-dev", 'AZURE_ENV_NAME="payments-dev"\n'
         'AZURE_STORAGE_BLOB_ENDPOINT="https://stabc.blob.core.windows.net/"\n'
         '# a comment\nAZURE_SERVICEBUS_FULLY_QUALIFIED_NAMESPACE="sb-abc.servicebus.windows.net"\n')
    target = azd_target(root=tmp_path)
    assert target.name == "azd environment 'payments-dev'"
    assert target.blob_service.url == "https://stabc.blob.core.windows.net/"
    assert target.blob_service.credential is not None  # a token credential, never a key
    client = target.service_bus()
    assert client.fully_qualified_namespace == "sb-abc.servicebus.windows.net"


def test_a_missing_value_says_to_provision(tmp_path: Path) -> None:
    _azd(tmp_path, "x", 'AZURE_ENV_NAME="x"\n')
    with pytest.raises(AzdEnvironmentError, match="AZURE_STORAGE_BLOB_ENDPOINT; run `azd provision`"):
        azd_target(root=tmp_path)


def test_no_environment_says_how_to_choose_one(tmp_path: Path) -> None:
    with pytest.raises(AzdEnvironmentError, match="azd env select"):
        read_values(tmp_path)


def test_the_smoke_file_is_valid_for_the_reference_table() -> None:
    document = json.loads(REFERENCE.read_text())
    sender, data = smoke_file(document, date(2026, 12, 1), "SMOKE1")
    result = validate_payment_file(io.BytesIO(data), sender=sender,
                                   reference=parse_reference_table(REFERENCE.read_bytes()),
                                   today=date(2026, 12, 1))
    assert result.valid, result.to_report()
