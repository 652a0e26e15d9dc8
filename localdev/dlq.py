"""`python -m localdev.dlq`: see localdev/stack/dlq_cli.py."""

import sys

from localdev.stack.dlq_cli import main

if __name__ == "__main__":
    sys.exit(main())
