"""The pure payment domain: reference table, CSV validation, adaptation and pain.001.001.09.

Nothing in this package imports Azure. The functions and the offline CLI (`python -m shared.cli`) call
the same code, so a dry run behaves exactly like the pipeline.
"""
