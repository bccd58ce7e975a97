"""Backup copies (バックアップ) of a workspace file: where they go, their names, copying and pruning.

Backups of `foo.dhdesk` live in `foo.dhdesk.backups/` as `<yyyymmdd-HHMMSS>-<reason>.dhdesk`, each a
complete workspace that dhdesk can open or restore. The file is copied while DuckDB has it closed:
on Windows DuckDB's lock covers the whole file, so another handle cannot read it while it is open.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

KEEP = 20
"""How many backups are kept per workspace; the oldest beyond that are deleted."""

_STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^(\d{8}-\d{6})-(.+?)(?:\((\d+)\))?\.dhdesk$")
_UNSAFE = re.compile(r"[^\w\-]+")


@dataclass(frozen=True)
class Backup:
    """One backup file, newest first when listed."""

    path: Path
    created_at: datetime
    reason: str
    size: int


def backup_dir(workspace: Path) -> Path:
    """The folder beside the workspace that holds its backups."""
    return workspace.with_name(workspace.name + ".backups")


def new_backup_path(workspace: Path, reason: str, now: datetime) -> Path:
    """A fresh file name for a backup taken `now` for `reason` (never an existing file)."""
    folder = backup_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    slug = _UNSAFE.sub("_", reason).strip("_")[:40] or "backup"
    stem = f"{now.strftime(_STAMP)}-{slug}"
    candidate = folder / f"{stem}.dhdesk"
    counter = 2
    while candidate.exists():
        candidate = folder / f"{stem}({counter}).dhdesk"
        counter += 1
    return candidate


def copy_atomically(source: Path, destination: Path) -> None:
    """Copy `source` to `destination` so that a crash never leaves a half-written destination."""
    partial = destination.with_name(destination.name + ".part")
    try:
        shutil.copyfile(source, partial)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def list_backups(workspace: Path) -> list[Backup]:
    """Every backup of `workspace`, newest first."""
    folder = backup_dir(workspace)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if not match or not path.is_file():
            continue
        stat = path.stat()
        created = datetime.strptime(match.group(1), _STAMP)
        # Within one second the copy's modification time tells which came last.
        order = (created, stat.st_mtime_ns, int(match.group(3) or 1))
        found.append((order, Backup(path, created, match.group(2), stat.st_size)))
    found.sort(key=lambda item: item[0], reverse=True)
    return [backup for _, backup in found]


def prune(workspace: Path, keep: int | None = None) -> list[Path]:
    """Delete all but the newest `keep` (default `KEEP`) backups; returns what was deleted."""
    removed = []
    for backup in list_backups(workspace)[KEEP if keep is None else keep :]:
        backup.path.unlink(missing_ok=True)
        removed.append(backup.path)
    return removed
