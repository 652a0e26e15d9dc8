"""The local stack: Azurite, the Service Bus emulator and the devhost as child processes.

`run` starts everything and shows each file's journey, `stop` stops it from another terminal; the
operator's commands against it (`drop`, `status`, `replay`, ...) are `python -m ops` (ops/), which finds
the stack through the state file `run` writes. Processes start on free-checked loopback ports and stop by
pid.
"""
