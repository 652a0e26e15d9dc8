"""local.settings.json, host.json and connection resolution: what is read, and the errors a user sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from functions_devhost.errors import DevhostError
from functions_devhost.hostjson import load_host_options, parse_timespan
from functions_devhost.settings import apply_to_environ, load_local_settings, resolve_connection
from functions_devhost.triggers.blob_path import compile_blob_path
from functions_devhost.triggers.http_routes import compile_route

pytestmark = pytest.mark.unit


def test_example_settings_are_copied_when_local_settings_are_missing(tmp_path: Path) -> None:
    (tmp_path / "local.settings.example.json").write_text(json.dumps({"Values": {"A": "1"}}))
    assert load_local_settings(tmp_path).values == {"A": "1"}
    assert (tmp_path / "local.settings.json").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Values": {"A": 1}', "line 1, column 20"),
        ('{"Values": {"A": 5, "B": true}}', "not a string: A, B"),
        ('{"Values": []}', '"Values" must be an object'),
        ('{"IsEncrypted": true, "Values": {}}', "IsEncrypted is true"),
    ],
)
def test_bad_local_settings_get_precise_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "local.settings.json").write_text(text)
    with pytest.raises(DevhostError, match=message):
        load_local_settings(tmp_path)


def test_environment_wins_over_local_settings() -> None:
    env = {"A": "from-env"}
    assert apply_to_environ({"A": "from-file", "B": "b"}, env) == ["A"]
    assert env == {"A": "from-env", "B": "b"}


def test_connection_resolution() -> None:
    assert "BlobEndpoint=http://127.0.0.1:10000" in resolve_connection(
        "S", {"S": "UseDevelopmentStorage=true"}
    )
    assert resolve_connection("S", {"AzureWebJobsS": "x=y"}) == "x=y"
    with pytest.raises(DevhostError, match="'S' is identity-based"):
        resolve_connection("S", {"S__accountName": "acct"})
    with pytest.raises(DevhostError, match="'S' is not defined"):
        resolve_connection("S", {})


def test_host_json_defaults_and_overrides(tmp_path: Path) -> None:
    defaults = load_host_options(tmp_path)
    assert defaults.blobs.poison_blob_threshold == 5 and defaults.queues.max_dequeue_count == 5
    assert defaults.service_bus.max_auto_lock_renewal_seconds == 300 and defaults.route_prefix == "api"
    (tmp_path / "host.json").write_text(
        json.dumps(
            {
                "extensions": {
                    "serviceBus": {"maxConcurrentCalls": 2, "maxAutoLockRenewalDuration": "00:00:30"},
                    "http": {"routePrefix": ""},
                }
            }
        )
    )
    options = load_host_options(tmp_path)
    assert (
        options.service_bus.max_concurrent_calls == 2
        and options.service_bus.max_auto_lock_renewal_seconds == 30
    )
    assert options.route_prefix == ""
    (tmp_path / "host.json").write_text(json.dumps({"extensions": {"blobs": {"poisonBlobThreshold": 0}}}))
    with pytest.raises(DevhostError, match="poisonBlobThreshold must be a whole number"):
        load_host_options(tmp_path)


def test_timespans() -> None:
    assert parse_timespan("1.02:03:04.5", "x") == 93784.5
    with pytest.raises(DevhostError, match='TimeSpan like "00:05:00"'):
        parse_timespan("5m", "x")


def test_blob_paths_match_like_the_host() -> None:
    path = compile_blob_path("incoming/{sender}/{name}", "F")
    assert path.container == "incoming" and path.match("acme/a/b.csv") == {
        "sender": "acme",
        "name": "a/b.csv",
    }
    assert path.match("toplevel.csv") is None
    assert compile_blob_path("c/{name}.csv", "F").match("x.txt") is None


def test_http_routes() -> None:
    route = compile_route("F", "files/{file_id}/{n:int?}", "api", ["GET"], "FUNCTION")
    assert route.match("GET", "api/files/abc") == {"file_id": "abc"}
    assert route.match("GET", "api/files/abc/7") == {"file_id": "abc", "n": "7"}
    assert route.match("GET", "api/files/abc/x") is None and route.match("POST", "api/files/abc") is None
    assert compile_route("Named", None, "api", None, "ANONYMOUS").match("DELETE", "api/Named") == {}
