"""`python -m localdev.stop`: see localdev/stack/stop_cli.py."""

import sys

from localdev.stack.stop_cli import main

if __name__ == "__main__":
    sys.exit(main())
