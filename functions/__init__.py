"""The app's triggers: one Blueprint per module, each translating azure.functions objects for a handler."""
