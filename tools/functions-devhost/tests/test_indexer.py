"""The indexer refuses what the Python worker refuses and warns where the host would only ignore."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from devhost_fixtures import APPS
from functions_devhost.errors import DevhostError
from functions_devhost.indexer import index_app

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def fresh_import() -> Iterator[None]:
    """Each fixture app is a module named function_app: forget the previous one and its sys.path entry."""
    path = list(sys.path)
    sys.modules.pop("function_app", None)
    yield
    sys.modules.pop("function_app", None)
    sys.path[:] = path


def test_indexes_names_triggers_outputs_context_and_async() -> None:
    functions = {f.name: f for f in index_app(APPS / "basic")}
    assert list(functions) == [
        "BlobEcho", "BlobClientEcho", "PoisonWatcher", "QueueWork", "Hello", "AsyncBoom"
    ]
    echo = functions["BlobEcho"]
    assert echo.function_id == "Host.Functions.BlobEcho"
    assert echo.trigger_type == "blobTrigger" and echo.trigger["path"] == "fx-in/{sender}/{name}"
    assert [o["name"] for o in echo.outputs] == ["seen"] and echo.wants_context
    assert functions["AsyncBoom"].is_async and not functions["Hello"].is_async
    assert echo.sdk_type is None and functions["BlobClientEcho"].sdk_type.__name__ == "BlobClient"


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("bad_params", "parameters ['message'] are declared in Python but have no binding"),
        ("bad_out", "output parameter 'out' must be annotated func.Out[T]"),
        ("two_apps", "exactly one FunctionApp"),
    ],
)
def test_refuses_apps_the_worker_refuses(app: str, message: str) -> None:
    with pytest.raises(DevhostError, match=re.escape(message)):
        index_app(APPS / app)


def test_missing_app_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(DevhostError, match=r"No function_app\.py in"):
        index_app(tmp_path)


def test_warns_about_retry_event_grid_and_unsupported_triggers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    names = [f.name for f in index_app(APPS / "warnings")]
    assert names == ["Retried", "Streamed", "Timed"]
    text = caplog.text
    assert "'Retried': @app.retry has no effect on blobTrigger" in text
    assert "'Streamed': trigger type 'eventHubTrigger' is not supported by the devhost" in text
    assert "'Timed': @app.retry on timerTrigger is honoured by the host but not by the devhost" in text
