"""Drift test: what Azure gets differs from the topology file in exactly the pinned properties.

The one topology file has to stay loadable by Microsoft's Service Bus emulator, which caps a message's
time to live at one hour and MaxDeliveryCount at 10. An hour is far too short in Azure (a backlog or an
outage longer than that would send valid files to `failed`), so main.bicep replaces the listed
properties on every queue, topic and subscription with Bicep parameters. This test pins:

* the list of replaced properties (adding one is a deliberate change to this test);
* that every entity module applies the replacement last, so it wins over the file;
* that the file stays within the emulator's limits and Azure gets production lifetimes.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from bicep_checks import INFRA_DIR, MAIN_BICEP, body, parse_bicep

pytestmark = pytest.mark.infra

MODULES = INFRA_DIR / "modules"
# Config.json property -> the main.bicep parameter that replaces it in Azure, and that parameter's default.
PRODUCTION_PROPERTIES = {"DefaultMessageTimeToLive": ("messageTimeToLive", "P14D")}
EMULATOR_MAX_TTL = timedelta(hours=1)
EMULATOR_DELIVERY_COUNTS = range(1, 11)
# The props variable of each entity module: (file, variable holding the union, the loop's config key).
ENTITY_PROPS = {
    "queue": ("servicebus.bicep", "queues"),
    "topic": ("servicebus-topic.bicep", "props"),
    "subscription": ("servicebus-subscription.bicep", "props"),
}
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    assert match, f"{text!r} is not an ISO 8601 duration this test understands (PnDTnHnMnS)"
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def _entities(ns: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"queue {q['Name']}", q) for q in ns.get("Queues", [])]
    for topic in ns.get("Topics", []):
        found.append((f"topic {topic['Name']}", topic))
        found += [(f"subscription {topic['Name']}/{s['Name']}", s) for s in topic.get("Subscriptions", [])]
    return found


def _union_args(node: Any) -> list[Any]:
    function = node.get("function", {}) if isinstance(node, dict) else {}
    assert function.get("type") == "union", f"expected union(defaults, file, entityOverrides), got {node}"
    return list(function["parameters"].values())


def test_the_replaced_properties_are_exactly_the_pinned_ones(main_doc: dict[str, Any]) -> None:
    overrides = main_doc["variables"]["productionEntityProperties"]["value"]
    assert overrides == {prop: param for prop, (param, _) in PRODUCTION_PROPERTIES.items()}, (
        "main.bicep productionEntityProperties changed: update PRODUCTION_PROPERTIES here and docs/deploy.md")
    for param, default in PRODUCTION_PROPERTIES.values():
        assert main_doc["parameters"][param]["default"] == default
    passed = body(main_doc["modules"]["serviceBus"])["params"]
    assert passed["entityOverrides"] == "productionEntityProperties"


def test_the_parameters_file_lets_azd_set_them() -> None:
    params = json.loads((MAIN_BICEP.parent / "main.parameters.json").read_text())["parameters"]
    for param, default in PRODUCTION_PROPERTIES.values():
        assert params[param]["value"].endswith(f"={default}}}"), (
            f"main.parameters.json should pass {param} from the azd environment with default {default}")


@pytest.mark.parametrize("kind", sorted(ENTITY_PROPS))
def test_every_entity_module_applies_the_overrides_last(kind: str) -> None:
    file_name, variable = ENTITY_PROPS[kind]
    doc = parse_bicep(MODULES / file_name)
    value = doc["variables"][variable]["value"]
    union = value["config"]["props"] if kind == "queue" else value
    assert _union_args(union)[-1] == "entityOverrides", (
        f"{file_name}: entityOverrides must be the last argument of union() so Azure's values win")
    assert "entityOverrides" in doc["parameters"]


def test_topics_pass_the_overrides_to_their_subscriptions() -> None:
    queues = parse_bicep(MODULES / "servicebus.bicep")
    assert body(queues["modules"]["topics"])["params"]["entityOverrides"] == "entityOverrides"
    topic = parse_bicep(MODULES / "servicebus-topic.bicep")
    assert body(topic["modules"]["subscriptions"])["params"]["entityOverrides"] == "entityOverrides"


def test_the_file_stays_within_the_emulators_limits(namespace_config: dict[str, Any]) -> None:
    for name, entity in _entities(namespace_config):
        props = entity.get("Properties", {})
        ttl = props.get("DefaultMessageTimeToLive", "")
        if ttl:
            assert _duration(ttl) <= EMULATOR_MAX_TTL, (
                f"{name}: DefaultMessageTimeToLive {ttl} is over Microsoft's emulator cap of PT1H; "
                "keep the file at PT1H and set production lifetimes with the Bicep parameter")
        if "MaxDeliveryCount" in props:
            assert props["MaxDeliveryCount"] in EMULATOR_DELIVERY_COUNTS, f"{name}: MaxDeliveryCount 1..10"


def test_azure_gets_production_lifetimes(namespace_config: dict[str, Any]) -> None:
    production = _duration(PRODUCTION_PROPERTIES["DefaultMessageTimeToLive"][1])
    assert production >= timedelta(days=7), "a message must outlive a long weekend's outage in Azure"
    for name, entity in _entities(namespace_config):
        ttl = entity.get("Properties", {}).get("DefaultMessageTimeToLive", "")
        if ttl:
            assert production > _duration(ttl), f"{name}: Azure's lifetime must be longer than the emulator's"
