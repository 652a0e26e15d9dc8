"""Config.json loading: the official format, durations, and an error that names the bad spot."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from servicebus_emulator.config import build_namespace, load_namespace, parse_duration
from servicebus_emulator.errors import ConfigError

pytestmark = [pytest.mark.emulator, pytest.mark.unit]

def _doc(**namespace: Any) -> dict[str, Any]:
    return {"UserConfig": {"Namespaces": [{"Name": "ns", **namespace}]}}


@pytest.mark.parametrize(("text", "expected"), [
    ("PT1M", timedelta(minutes=1)), ("P14D", timedelta(days=14)), ("PT0.5S", timedelta(seconds=0.5)),
    ("P1DT2H", timedelta(days=1, hours=2)), ("00:01:30", timedelta(seconds=90)),
    ("1.00:00:00", timedelta(days=1)), ("P2W", timedelta(weeks=2)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text, "x") == expected


@pytest.mark.parametrize(("document", "path"), [
    ({"Nope": 1}, "UserConfig"),
    (_doc(Queues=[{"Name": "q", "Properties": {"LockDuration": "PT1X"}}]),
     "UserConfig.Namespaces[0].Queues[0].Properties.LockDuration"),
    (_doc(Queues=[{"Name": "q", "Properties": {"MaxDeliveryCount": 0}}]),
     "UserConfig.Namespaces[0].Queues[0].Properties.MaxDeliveryCount"),
    (_doc(Queues=[{"Name": "q"}, {"Name": "bad name!"}]), "UserConfig.Namespaces[0].Queues[1].Name"),
    (_doc(Queues=[{"Name": "q", "Properties": {"Colour": "red"}}]),
     "UserConfig.Namespaces[0].Queues[0].Properties.Colour"),
    (_doc(Queues=[{"Name": "q", "Properties": {"ForwardTo": "elsewhere"}}]),
     "UserConfig.Namespaces[0].Queues[0].Properties.ForwardTo"),
    (_doc(Queues=[{"Name": "q", "Properties": {"RequiresSession": True}}]),
     "UserConfig.Namespaces[0].Queues[0].Properties.RequiresSession"),
    (_doc(Topics=[{"Name": "t", "Subscriptions": [{"Name": "s", "Rules": [
        {"Name": "r", "Properties": {"FilterType": "Sql", "SqlFilter": {"SqlExpression": "a + 1 = 2"}}}]}]}]),
     "UserConfig.Namespaces[0].Topics[0].Subscriptions[0].Rules[0].Properties.SqlFilter.SqlExpression"),
    (_doc(Topics=[{"Name": "t", "Subscriptions": [{"Name": "s", "Rules": [
        {"Name": "r", "Properties": {"FilterType": "Sql", "SqlFilter": {"SqlExpression": "a = 1"},
                                     "Action": {"SqlExpression": "SET a = 2"}}}]}]}]),
     "UserConfig.Namespaces[0].Topics[0].Subscriptions[0].Rules[0].Properties.Action"),
    (_doc(Topics=[{"Name": "t", "Subscriptions": [{"Name": "s", "Rules": [
        {"Name": "r", "Properties": {"FilterType": "Magic"}}]}]}]),
     "UserConfig.Namespaces[0].Topics[0].Subscriptions[0].Rules[0].Properties.FilterType"),
])
def test_invalid_config_names_the_path(clock: Any, document: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_namespace(document, clock)
    assert info.value.path == path
    assert str(info.value).startswith(path + ": ")


def test_unreadable_file_is_a_config_error(clock: Any, tmp_path: Path) -> None:
    broken = tmp_path / "Config.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON at line 1"):
        load_namespace(broken, clock)
    with pytest.raises(ConfigError, match="file not found"):
        load_namespace(tmp_path / "missing.json", clock)
    broken.write_text(json.dumps(_doc()), encoding="utf-8")
    assert load_namespace(broken, clock).queues == {}
