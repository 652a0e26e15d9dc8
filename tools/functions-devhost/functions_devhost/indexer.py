"""Index a v2 app the way the Python worker does: import `function_app`, take its one FunctionRegister.

The checks mirror the worker's `FunctionLoadError`s: exactly one FunctionApp/Blueprint-registered app,
parameter names equal binding names (`context` excepted), outputs annotated `func.Out[T]`. Unsupported
binding types and `@app.retry` on triggers that ignore it are warnings, as they would pass indexing in Azure.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
import traceback
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func

from functions_devhost.errors import DevhostError
from functions_devhost.sdk_types import sdk_type_of

log = logging.getLogger("devhost.indexer")

TRIGGERS = {"blobTrigger", "serviceBusTrigger", "queueTrigger", "httpTrigger", "timerTrigger"}
OUTPUTS = {"blob", "queue", "serviceBus", "http"}
RETRY_IGNORED = {"blobTrigger", "serviceBusTrigger", "queueTrigger", "httpTrigger"}


@dataclass(frozen=True)
class IndexedFunction:
    """One function as the host sees it: its name, trigger, other bindings and the Python callable."""

    name: str
    trigger: dict[str, Any]
    outputs: tuple[dict[str, Any], ...]
    user_function: Callable[..., Any]
    is_async: bool
    wants_context: bool
    # The trigger parameter's SDK type (e.g. a BlobClient) when an installed extension binds it (sdk_types).
    sdk_type: type | None = None

    @property
    def function_id(self) -> str:
        return f"Host.Functions.{self.name}"

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])


def import_app(app_dir: Path) -> func.FunctionRegister:
    """Import the app module from `app_dir` and return its single FunctionRegister."""
    script = os.environ.get("PYTHON_SCRIPT_FILE_NAME", "function_app.py")
    module_name = script.removesuffix(".py")
    if not (app_dir / script).exists():
        raise DevhostError(f"No {script} in {app_dir}. Pass --app-dir pointing at the folder that holds it.")
    sys.path.insert(0, str(app_dir))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(module_name)
    except Exception:
        # The worker reports the app's own import error with its traceback: that is what the user must fix.
        raise DevhostError(
            f"Importing {script} failed; the worker would not index it:\n{traceback.format_exc()}"
        ) from None
    apps = [value for value in vars(module).values() if isinstance(value, func.FunctionRegister)]
    if len(apps) != 1:
        raise DevhostError(
            f"{script} must define exactly one FunctionApp (a FunctionRegister at module level); "
            f"found {len(apps)}."
        )
    return apps[0]


def index_app(app_dir: Path) -> list[IndexedFunction]:
    """Import and index the app; raise DevhostError with the worker's reasons when it cannot load."""
    app = import_app(app_dir)
    try:
        functions = app.get_functions()
    except ValueError as exc:
        raise DevhostError(f"The app failed indexing: {exc}") from None
    return [_index_function(function) for function in functions]


def _index_function(function: func.Function) -> IndexedFunction:
    name = str(function.get_function_name())
    bindings = [_binding_dict(binding) for binding in function.get_bindings()]
    trigger = next((b for b in bindings if str(b["type"]).lower().endswith("trigger")), None)
    if trigger is None:
        raise DevhostError(f"Function '{name}' has no trigger.")
    user_function = function.get_user_function()
    wants_context = _check_parameters(name, user_function, bindings)
    _warn_unsupported(name, trigger, bindings, function)
    outputs = tuple(b for b in bindings if b["direction"] == "OUT" and b["type"] in OUTPUTS)
    return IndexedFunction(
        name=name,
        trigger=trigger,
        outputs=outputs,
        user_function=user_function,
        is_async=inspect.iscoroutinefunction(user_function),
        wants_context=wants_context,
        sdk_type=sdk_type_of(_hints(user_function).get(trigger["name"])),
    )


def _binding_dict(binding: Any) -> dict[str, Any]:
    """The function.json form of a binding, with `direction` as the host reads it ("IN"/"OUT"/"INOUT")."""
    data: dict[str, Any] = dict(binding.get_dict_repr())
    direction = data.get("direction")
    data["direction"] = str(getattr(direction, "name", direction)).upper()
    return data


def _check_parameters(name: str, user_function: Callable[..., Any], bindings: list[dict[str, Any]]) -> bool:
    """The worker's parameter checks; returns whether the function takes `context`."""
    params = inspect.signature(user_function).parameters
    binding_names = {b["name"] for b in bindings if b["name"] != "$return"}
    declared = set(params) - {"context"}
    if declared - binding_names:
        raise DevhostError(
            f"Function '{name}': parameters {sorted(declared - binding_names)} are declared in Python "
            "but have no binding. Parameter names must equal the decorators' arg_name values."
        )
    if binding_names - declared:
        raise DevhostError(
            f"Function '{name}': bindings {sorted(binding_names - declared)} have no matching parameter "
            "in the Python function."
        )
    hints = _hints(user_function)
    for binding in bindings:
        if binding["direction"] == "OUT" and binding["name"] != "$return":
            hint = hints.get(binding["name"])
            if typing.get_origin(hint) is not func.Out and hint is not func.Out:
                raise DevhostError(
                    f"Function '{name}': output parameter '{binding['name']}' must be annotated func.Out[T]."
                )
    return "context" in params


def _hints(user_function: Callable[..., Any]) -> dict[str, Any]:
    """The parameters' annotations, resolved; as written when they cannot be (the worker does not fail)."""
    try:
        return typing.get_type_hints(user_function)
    except Exception:
        return dict(getattr(user_function, "__annotations__", {}))


def _warn_unsupported(
    name: str, trigger: dict[str, Any], bindings: list[dict[str, Any]], function: func.Function
) -> None:
    if trigger["type"] not in TRIGGERS:
        log.warning(
            "Function '%s': trigger type '%s' is not supported by the devhost; it will never run",
            name,
            trigger["type"],
        )
    for binding in bindings:
        if binding is not trigger and binding["type"] not in OUTPUTS:
            log.warning(
                "Function '%s': binding '%s' of type '%s' is not supported by the devhost; it is ignored",
                name,
                binding["name"],
                binding["type"],
            )
    if function.get_setting("retry_policy") is not None and trigger["type"] in RETRY_IGNORED:
        log.warning(
            "Function '%s': @app.retry has no effect on %s (the host ignores it there too)",
            name,
            trigger["type"],
        )
    elif function.get_setting("retry_policy") is not None and trigger["type"] == "timerTrigger":
        log.warning(
            "Function '%s': @app.retry on timerTrigger is honoured by the host but not by the devhost; "
            "a failed run waits for the next occurrence here",
            name,
        )
