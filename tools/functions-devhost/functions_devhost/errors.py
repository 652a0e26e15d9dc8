"""The one error type the devhost raises for problems a user can fix (settings, app, ports).

`__main__` prints its message without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class DevhostError(Exception):
    """A problem with the user's app, settings or machine, described so that they can act on it."""
