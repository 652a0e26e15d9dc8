"""An embedded Azure Service Bus emulator that the unmodified official SDKs accept.

`entities` is the pure state machine (injected clock, no wire code), `filters` and `config` read the official
Config.json, `amqp` and `management` are the python-qpid-proton glue, `server` runs it all on one loop
thread, and `testing` starts and stops it for tests. Imports here stay lean: start-to-ready counts them.
Public: `testing`, `config.load_namespace`; the rest is internal.
"""
