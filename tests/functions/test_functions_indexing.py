"""The app as the worker sees it: indexed through `get_functions()`, names, triggers and parameters."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared import topology
from tests.app_functions import app_functions, by_name

pytestmark = pytest.mark.functions
ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "FileValidator": "blobTrigger",
    "FileAdaptor": "serviceBusTrigger",
    "FileCreator": "serviceBusTrigger",
    "FileValidatedDeadLetter": "serviceBusTrigger",
    "FileAdaptedDeadLetter": "serviceBusTrigger",
    "AdaptorCompensation": "serviceBusTrigger",
    "ValidatorCompensation": "serviceBusTrigger",
    "AdaptorCompensationDeadLetter": "serviceBusTrigger",
    "ValidatorCompensationDeadLetter": "serviceBusTrigger",
    "BlobPoison": "queueTrigger",
    "FileStatus": "httpTrigger",
    "Reconciler": "timerTrigger",
    "FileReporter": "serviceBusTrigger",
    "FileReporterDeadLetter": "serviceBusTrigger",
    "FileNotifier": "serviceBusTrigger",
    "FileNotifierDeadLetter": "serviceBusTrigger",
}


def test_the_app_has_exactly_the_expected_functions_and_triggers() -> None:
    assert {name: f.get_trigger().type for name, f in by_name().items()} == EXPECTED
    assert len(app_functions()) == len(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parameter_names_equal_binding_names(name: str) -> None:
    function = by_name()[name]
    parameters = set(inspect.signature(function.get_user_function()).parameters)
    bindings = {b.name for b in function.get_bindings() if b.name != "$return"}
    assert parameters == bindings


def test_dead_letter_and_compensation_bindings_use_the_topology_names() -> None:
    functions = by_name()
    assert functions["FileValidatedDeadLetter"].get_trigger().queue_name == "file-validated/$DeadLetterQueue"
    assert functions["FileAdaptedDeadLetter"].get_trigger().queue_name == "file-adapted/$DeadLetterQueue"
    trigger = functions["AdaptorCompensationDeadLetter"].get_trigger()
    assert (trigger.topic_name, trigger.subscription_name) == (
        "file-failed",
        "adaptor-compensation/$DeadLetterQueue",
    )
    assert functions["FileStatus"].get_trigger().get_dict_repr()["route"] == "files/{file_id}"
    assert (
        str(functions["FileStatus"].get_trigger().get_dict_repr()["authLevel"]).lower().endswith("function")
    )
    blob = functions["FileValidator"].get_trigger().get_dict_repr()
    assert (blob["path"], blob["connection"]) == ("incoming/{name}", topology.PAYMENTS_STORAGE_SETTING)


def _index_in_subprocess(source: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import function_app;"
        "t=[f for f in function_app.app.get_functions()"
        " if f.get_function_name()=='FileValidator'][0].get_trigger();"
        "print(t.get_dict_repr().get('source'))"
    )
    env = {**os.environ, "BLOB_TRIGGER_SOURCE": source}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("setting", "source"), [("", "LogsAndContainerScan"), ("EventGrid", "EventGrid")])
def test_blob_trigger_source_follows_the_setting_at_import(setting: str, source: str) -> None:
    result = _index_in_subprocess(setting)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == source


def test_an_invalid_source_setting_fails_the_import_loudly_with_what_to_set() -> None:
    result = _index_in_subprocess("Polling")
    assert result.returncode != 0
    assert "BLOB_TRIGGER_SOURCE='Polling' is invalid" in result.stderr
    assert "LogsAndContainerScan" in result.stderr
