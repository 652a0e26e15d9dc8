"""Fixture: a parameter name that does not match its binding's arg_name (the worker refuses to load it)."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
def mismatched(message: func.QueueMessage) -> None:
    pass
