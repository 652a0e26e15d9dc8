"""The app's functions, indexed once per test process the way the worker does it.

`FunctionApp.get_functions()` may be called only once per app (a second call reports every function as
a duplicate name), exactly like the worker calls it once; every test shares this cached result.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import azure.functions as func


@functools.cache
def app_functions() -> tuple[Any, ...]:
    module = importlib.import_module("function_app")
    registers = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    assert len(registers) == 1, f"the worker needs exactly one FunctionRegister, found {len(registers)}"
    return tuple(registers[0].get_functions())


def by_name() -> dict[str, Any]:
    return {f.get_function_name(): f for f in app_functions()}
