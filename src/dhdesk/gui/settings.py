"""UI preferences and window state (画面の設定), kept in QSettings behind one defaults table.

Every key and its type is declared in `_DEFAULTS`; asking for any other key is a bug and raises.
Lists are stored as JSON text so every QSettings backend (INI, Windows registry) returns the same.
Rule thresholds are not here: they live in rule files (STYLE.md 6).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

_DEFAULTS: dict[str, object] = {
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "workspace/last": "",
    "workspace/recent": (),
    "ui/font_point_size": 11,
    "browse/row_limit": 1000,
    "demo/members": 3000,
}

MAX_RECENT = 8

_RANGES: dict[str, tuple[int, int]] = {
    "ui/font_point_size": (8, 24),
    "browse/row_limit": (100, 100_000),
    "demo/members": (100, 300_000),
}
"""Allowed ranges of the integer preferences (the settings page uses them for its spin boxes)."""


class UnknownSettingError(KeyError):
    """A key that is not in `_DEFAULTS` (a programming error, never a clerk's)."""


def default(key: str) -> object:
    if key not in _DEFAULTS:
        raise UnknownSettingError(key)
    return _DEFAULTS[key]


def int_range(key: str) -> tuple[int, int]:
    default(key)
    return _RANGES[key]


class Settings:
    """Typed access to the app's QSettings; `store` is injectable for tests."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else QSettings()

    def get(self, key: str) -> object:
        fallback = default(key)
        raw = self._store.value(key)
        if raw is None:
            return fallback
        try:
            return _decode(fallback, raw, key)
        except (TypeError, ValueError):
            return fallback

    def set(self, key: str, value: object) -> None:
        fallback = default(key)
        if isinstance(fallback, QByteArray):
            self._store.setValue(key, QByteArray(value))
        elif isinstance(fallback, tuple):
            self._store.setValue(key, json.dumps([str(v) for v in value], ensure_ascii=False))
        elif isinstance(fallback, int):
            low, high = _RANGES[key]
            self._store.setValue(key, min(max(int(value), low), high))
        else:
            self._store.setValue(key, str(value))

    def recent_workspaces(self) -> list[Path]:
        return [Path(p) for p in self.get("workspace/recent")]

    def last_workspace(self) -> Path | None:
        last = self.get("workspace/last")
        return Path(last) if last else None

    def remember_workspace(self, path: Path) -> None:
        """An opened workspace becomes the last one and moves to the top of 最近使ったもの."""
        text = str(path)
        others = [p for p in self.get("workspace/recent") if p != text]
        self.set("workspace/recent", [text, *others][:MAX_RECENT])
        self.set("workspace/last", text)

    def forget_workspace(self, path: Path) -> None:
        """A workspace file that no longer exists leaves the recent list (and stops being the last)."""
        text = str(path)
        self.set("workspace/recent", [p for p in self.get("workspace/recent") if p != text])
        if self.get("workspace/last") == text:
            self.set("workspace/last", "")

    def sync(self) -> None:
        self._store.sync()


def _decode(fallback: object, raw: object, key: str) -> object:
    if isinstance(fallback, QByteArray):
        return QByteArray(raw)
    if isinstance(fallback, tuple):
        values = json.loads(raw) if isinstance(raw, str) else []
        return tuple(str(v) for v in values) if isinstance(values, list) else fallback
    if isinstance(fallback, int):
        low, high = _RANGES[key]
        return min(max(int(raw), low), high)
    return str(raw)
