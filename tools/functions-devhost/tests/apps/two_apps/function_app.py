"""Fixture: two FunctionApp objects at module level (the worker needs exactly one)."""

import azure.functions as func

app = func.FunctionApp()
other = func.FunctionApp()
