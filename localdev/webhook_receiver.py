"""`python -m localdev.webhook_receiver`: see localdev/stack/webhook_receiver.py."""

import sys

from localdev.stack.webhook_receiver import main

if __name__ == "__main__":
    sys.exit(main())
