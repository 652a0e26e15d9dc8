"""The Azure Functions app: composition only. Each blueprint owns one trigger; see docs/architecture.md.

Telemetry is configured first, so every span and log line of every function goes through it.
"""

import azure.functions as func

from functions import (
    adaptor_compensation,
    adaptor_compensation_dead_letter,
    blob_poison,
    file_adapted_dead_letter,
    file_adaptor,
    file_creator,
    file_notifier,
    file_notifier_dead_letter,
    file_reporter,
    file_reporter_dead_letter,
    file_status,
    file_validated_dead_letter,
    file_validator,
    reconciler,
    validator_compensation,
    validator_compensation_dead_letter,
)
from shared.telemetry import configure_telemetry

configure_telemetry()

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(file_validator.bp)
app.register_functions(file_adaptor.bp)
app.register_functions(file_creator.bp)
app.register_functions(file_validated_dead_letter.bp)
app.register_functions(file_adapted_dead_letter.bp)
app.register_functions(adaptor_compensation.bp)
app.register_functions(validator_compensation.bp)
app.register_functions(adaptor_compensation_dead_letter.bp)
app.register_functions(validator_compensation_dead_letter.bp)
app.register_functions(blob_poison.bp)
app.register_functions(file_status.bp)
app.register_functions(reconciler.bp)
app.register_functions(file_reporter.bp)
app.register_functions(file_reporter_dead_letter.bp)
app.register_functions(file_notifier.bp)
app.register_functions(file_notifier_dead_letter.bp)
