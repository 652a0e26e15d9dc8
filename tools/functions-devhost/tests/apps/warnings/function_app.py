"""Fixture: indexable, but with what the host ignores (@app.retry on a blob trigger) or the devhost lacks."""

import azure.functions as func

app = func.FunctionApp()


@app.function_name("Retried")
@app.blob_trigger(
    arg_name="blob", path="c/{name}", connection="AzureWebJobsStorage", source=func.BlobSource.EVENT_GRID
)
@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:01")
def retried(blob: func.InputStream) -> None:
    pass


@app.function_name("Streamed")
@app.event_hub_message_trigger(arg_name="event", event_hub_name="hub", connection="EventHubConnection")
def streamed(event: func.EventHubEvent, context: func.Context) -> None:
    pass


@app.function_name("Timed")
@app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *")
@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:01")
def timed(timer: func.TimerRequest, context: func.Context) -> None:
    pass
