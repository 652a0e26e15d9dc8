"""`python -m localdev.reports`: see localdev/stack/reports_cli.py."""

import sys

from localdev.stack.reports_cli import main

if __name__ == "__main__":
    sys.exit(main())
