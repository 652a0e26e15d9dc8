"""Fixture: an output binding whose parameter is not annotated func.Out[T]."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="out", queue_name="o", connection="AzureWebJobsStorage")
def no_out(msg: func.QueueMessage, out: str) -> None:
    pass
