"""The devhost: runs an unchanged Azure Functions Python v2 `function_app.py` locally, without Core Tools.

It indexes the app the way the Python worker does, reads `local.settings.json` and `host.json` the way
`func start` does, and drives blob, Service Bus, Storage queue and HTTP triggers with the host's semantics
(receipts and poison blobs, peek-lock settlement, dequeue counts, `/api/` routes).
Public: `testing`, `settings.development_storage`, `debugger.DEBUG_PORT_SETTING`; the rest is internal.
"""
