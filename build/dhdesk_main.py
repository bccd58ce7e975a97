"""Entry script of the frozen app (PyInstaller): the `dhdesk` command, exactly as the console script runs it."""

from __future__ import annotations

import sys

from dhdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
