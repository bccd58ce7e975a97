"""Use cases: the one API both the GUI and the CLI call."""
