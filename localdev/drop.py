"""`python -m localdev.drop`: see localdev/stack/drop_cli.py."""

import sys

from localdev.stack.drop_cli import main

if __name__ == "__main__":
    sys.exit(main())
