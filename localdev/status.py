"""`python -m localdev.status`: see localdev/stack/status_cli.py."""

import sys

from localdev.stack.status_cli import main

if __name__ == "__main__":
    sys.exit(main())
