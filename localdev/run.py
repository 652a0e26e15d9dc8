"""`python -m localdev.run`: start the local stack, show each file's journey (see localdev/stack/run.py)."""

import sys

from localdev.stack.run import main

if __name__ == "__main__":
    sys.exit(main())
