"""The local stack: Azurite, the Service Bus emulator and the devhost as child processes, plus the CLIs.

`run` starts everything and shows each file's journey; `drop`, `status` and `replay` are small CLIs over the
same storage and Service Bus SDKs the app uses. Processes start on free-checked loopback ports and
stop by pid.
"""
