"""Azure SDK implementations of the ports in `shared/ports.py`, and connection-setting resolution."""
