"""The payment-file pipeline's importable code: domain, contracts, handlers, ports and adapters."""
