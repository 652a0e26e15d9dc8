"""Sample payment files, the default reference table, and `samples.generate` for generated files."""
