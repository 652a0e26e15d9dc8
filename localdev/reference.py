"""`python -m localdev.reference`: see localdev/stack/reference_cli.py."""

import sys

from localdev.stack.reference_cli import main

if __name__ == "__main__":
    sys.exit(main())
