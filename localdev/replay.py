"""`python -m localdev.replay`: see localdev/stack/replay_cli.py."""

import sys

from localdev.stack.replay_cli import main

if __name__ == "__main__":
    sys.exit(main())
