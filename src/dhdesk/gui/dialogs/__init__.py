"""Dialogs that return values through `ask()` (so tests never block on `exec()`)."""
