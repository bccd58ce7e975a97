"""Progress reporting and cooperative cancellation for long operations."""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[float, str], None]
"""`progress(fraction, message)`: fraction in [0, 1]; raises `Cancelled` when the user cancelled."""


class Cancelled(Exception):
    """Raised from a progress callback when the user asked to stop."""


def no_progress(fraction: float, message: str) -> None:
    """A progress callback that ignores everything (for tests and batch use)."""


def wrap_progress(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    """Map a nested step's [0, 1] onto the slice [start, end] of the caller's range."""

    def wrapped(fraction: float, message: str) -> None:
        clamped = min(max(fraction, 0.0), 1.0)
        progress(start + (end - start) * clamped, message)

    return wrapped
