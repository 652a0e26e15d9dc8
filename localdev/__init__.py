"""Local development tools: the devhost that runs function_app.py and the Service Bus emulator."""
