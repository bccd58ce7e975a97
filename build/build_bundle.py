"""Builds the onedir bundle from installer.spec into `.pyinstaller/` and reports time and size.

PyInstaller's default work folder is `build/`, which holds this script and the entry script, so the
work and dist folders are always passed explicitly.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".pyinstaller"


def build(dist: Path = OUT / "dist", work: Path = OUT / "work") -> Path:
    """Run PyInstaller on installer.spec; returns the bundle folder (`<dist>/dhdesk`)."""
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "installer.spec")],
        cwd=ROOT, check=True,
    )
    return dist / "dhdesk"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=OUT / "dist", help="where the bundle folder goes")
    parser.add_argument("--work", type=Path, default=OUT / "work", help="PyInstaller's work folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bundle = build(args.dist, args.work)
    seconds = time.perf_counter() - started
    print(f"bundle: {bundle}")
    print(f"build time: {seconds:.0f} s, size: {folder_size(bundle) / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
