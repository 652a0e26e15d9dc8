"""Plain-function handlers, one module per pipeline step; no azure.functions imports here."""
