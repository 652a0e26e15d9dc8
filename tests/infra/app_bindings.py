"""What the function app binds to, read the way the Python worker reads it, for the infra tests.

`load_app()` runs this file as a script in a child process (so the app is imported with the settings it
gets in Azure, `BLOB_TRIGGER_SOURCE=EventGrid`, and nothing leaks into the test process). The child puts
the repository on `sys.path`, imports `function_app`, takes its one `FunctionRegister` attribute and prints
every function's name and bindings (`get_dict_repr()`) as JSON. When the app cannot be imported yet, the
result says why, and the tests fall back to the topology file for the names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURE_SETTINGS = {"BLOB_TRIGGER_SOURCE": "EventGrid"}
DEAD_LETTER_SUFFIX = "/$DeadLetterQueue"


@dataclass(frozen=True)
class AppIndex:
    """The indexed app: function name -> list of binding dicts; or the reason it is unavailable, which
    every test that reads it turns into a failure (an app that stops indexing must never pass as skipped)."""

    functions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unavailable: str | None = None

    def bindings(self) -> list[tuple[str, dict[str, Any]]]:
        """(function name, binding) for every binding of every function."""
        return [(name, b) for name, bs in self.functions.items() for b in bs]

    def connections(self) -> dict[str, set[str]]:
        """Connection setting name -> the binding types that use it."""
        found: dict[str, set[str]] = {}
        for _, binding in self.bindings():
            if binding.get("connection"):
                found.setdefault(binding["connection"], set()).add(binding["type"])
        return found

    def service_bus_entities(self) -> set[tuple[str, ...]]:
        """('queue', name) and ('subscription', topic, subscription) bound by Service Bus bindings,
        with any `/$DeadLetterQueue` suffix removed (a DLQ belongs to its entity)."""
        found: set[tuple[str, ...]] = set()
        for _, b in self.bindings():
            if not b["type"].startswith("serviceBus"):
                continue
            if b.get("queueName"):
                found.add(("queue", b["queueName"].removesuffix(DEAD_LETTER_SUFFIX)))
            elif b.get("topicName") and b.get("subscriptionName"):
                subscription = b["subscriptionName"].removesuffix(DEAD_LETTER_SUFFIX)
                found.add(("subscription", b["topicName"], subscription))
            elif b.get("topicName"):
                found.add(("topic", b["topicName"]))
        return found

    def blob_containers(self) -> set[str]:
        """The container (first path segment) of every blob binding."""
        blobs = [b for _, b in self.bindings() if b["type"].startswith("blob") and b.get("path")]
        return {b["path"].split("/", 1)[0] for b in blobs}


def load_app(timeout: float = 60.0) -> AppIndex:
    """Index function_app.py in a child process with the Azure app settings."""
    if not (REPO_ROOT / "function_app.py").exists():
        return AppIndex(unavailable=f"{REPO_ROOT / 'function_app.py'} is missing")
    env = {**os.environ, **AZURE_SETTINGS}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__)), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO_ROOT, check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return AppIndex(unavailable=f"function_app could not be indexed: {tail}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return AppIndex(functions=data)


def _index(root: str) -> dict[str, list[dict[str, Any]]]:
    """The worker's way: import function_app and read its single FunctionRegister."""
    import importlib

    import azure.functions as func

    sys.path.insert(0, root)
    script = os.environ.get("PYTHON_SCRIPT_FILE_NAME", "function_app.py")
    module = importlib.import_module(script.removesuffix(".py"))
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(apps) != 1:
        raise SystemExit(f"expected one FunctionRegister in function_app, found {len(apps)}")
    result: dict[str, list[dict[str, Any]]] = {}
    for function in apps[0].get_functions():
        result[str(function.get_function_name())] = [
            {k: getattr(v, "value", v) for k, v in b.get_dict_repr().items()}
            for b in function.get_bindings()
        ]
    return result


if __name__ == "__main__":
    print(json.dumps(_index(sys.argv[1]), default=str))
