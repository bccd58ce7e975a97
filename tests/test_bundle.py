"""The frozen onedir bundle: builds from installer.spec, starts, and passes its own self-test headless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from dhdesk import __version__

ROOT = Path(__file__).resolve().parent.parent
EXE_SUFFIX = ".exe" if os.name == "nt" else ""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pyinstaller")
    done = subprocess.run(
        [sys.executable, str(ROOT / "build" / "build_bundle.py"), "--dist", str(out / "dist"), "--work", str(out / "work")],
        capture_output=True, text=True, timeout=900,
    )
    if done.returncode != 0:
        pytest.fail(f"PyInstaller build failed:\n{done.stderr[-5000:]}")
    return out / "dist" / "dhdesk"


def run_frozen(bundle: Path, name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a bundled executable the way a clerk's PC would: no source tree on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(bundle / f"{name}{EXE_SUFFIX}"), *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=cwd, timeout=600)


def test_bundle_holds_both_executables_the_fonts_and_not_the_unused_libraries(bundle):
    internal = bundle / "_internal"
    assert (bundle / f"dhdesk{EXE_SUFFIX}").is_file() and (bundle / f"dhdesk-cli{EXE_SUFFIX}").is_file()
    fonts = {p.name for p in (internal / "dhdesk" / "resources" / "fonts").iterdir()}
    assert {"BIZUDGothic-Regular.ttf", "BIZUDGothic-Bold.ttf", "ipaexg.ttf", "LICENSE-IPAexfont.txt"} <= fonts
    bundled = [p.name for p in internal.rglob("*")]
    assert not [name for name in bundled if "flight" in name or name.endswith((".pyx", ".pxd"))]
    assert not (internal / "pyarrow" / "include").exists()


def test_console_executable_reports_its_version(bundle, tmp_path):
    done = run_frozen(bundle, "dhdesk-cli", "--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dhdesk {__version__}"


def test_windowed_executable_passes_the_self_test_and_writes_the_summary_pdf(bundle, tmp_path):
    out = tmp_path / "selftest"
    done = run_frozen(bundle, "dhdesk", "--self-test", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    pdfs = list(out.rglob("*.pdf"))
    assert pdfs
    text = "".join(page.extract_text() for page in PdfReader(pdfs[0]).pages)
    assert "階層化結果の概要" in text and "保健指導レベル" in text
    assert b"/FontFile2" in pdfs[0].read_bytes()
