"""The names the app binds to, and the one topology file they must agree with.

`servicebus-config.json` (the official Service Bus emulator `Config.json` format) is the single source of
every queue, topic and subscription and their properties. It is read by our emulator, by Microsoft's
emulator and by Bicep (`loadJsonContent`). The constants below are what the decorators in `functions/`
use; `tests/contract/test_topology.py` checks them, and every binding, against the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG_PATH = Path(__file__).with_name("servicebus-config.json")

# Service Bus entities.
FILE_VALIDATED_QUEUE = "file-validated"
FILE_ADAPTED_QUEUE = "file-adapted"
FILE_FAILED_TOPIC = "file-failed"
ADAPTOR_COMPENSATION_SUBSCRIPTION = "adaptor-compensation"
VALIDATOR_COMPENSATION_SUBSCRIPTION = "validator-compensation"
# Lifecycle: one `file.ended` per file; participants join by adding a subscription here.
FILE_ENDED_TOPIC = "file-ended"
REPORTER_SUBSCRIPTION = "reporter"
NOTIFIER_SUBSCRIPTION = "notifier"
DEAD_LETTER_SUFFIX = "/$DeadLetterQueue"

# Storage containers on the PaymentsStorage account.
INCOMING_CONTAINER = "incoming"
OUTGOING_CONTAINER = "outgoing"
REJECTED_CONTAINER = "rejected"
FAILED_CONTAINER = "failed"
REFERENCE_CONTAINER = "reference"
WORKFLOW_CONTAINER = "workflow"
REPORTS_CONTAINER = "reports"  # pain.002 for the senders: reports/<sender>/<file id>.pain.002.xml
CONTAINERS = (
    INCOMING_CONTAINER,
    OUTGOING_CONTAINER,
    REJECTED_CONTAINER,
    FAILED_CONTAINER,
    REFERENCE_CONTAINER,
    WORKFLOW_CONTAINER,
    REPORTS_CONTAINER,
)
# Where Event Grid writes the BlobCreated events it could not deliver (main.bicep creates it; the
# reconciler reads it). Not an app container: nothing in the pipeline writes there.
EVENTGRID_DEADLETTER_CONTAINER = "eventgrid-deadletter"
REFERENCE_TABLE_BLOB = "reference-table.json"

# Table Storage on the same PaymentsStorage account: which file claimed each (sender, payment id).
PAYMENT_CLAIMS_TABLE = "paymentclaims"

# The host's own Storage queue for blobs whose trigger kept failing (on AzureWebJobsStorage).
BLOB_POISON_QUEUE = "webjobs-blobtrigger-poison"

# Connection setting names (identical locally and in Azure).
PAYMENTS_STORAGE_SETTING = "PaymentsStorage"
SERVICE_BUS_SETTING = "ServiceBusConnection"
HOST_STORAGE_SETTING = "AzureWebJobsStorage"


def load_config(path: Path = CONFIG_PATH) -> dict[str, Any]:
    """Return the parsed topology file."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def namespace(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return `UserConfig.Namespaces[0]`, the only namespace the emulator format allows us."""
    cfg = load_config() if config is None else config
    ns: dict[str, Any] = cfg["UserConfig"]["Namespaces"][0]
    return ns
