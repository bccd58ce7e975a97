"""`dhdesk --self-test`: proves an installed or frozen build works end to end without a screen.

It generates a small demo union, writes and imports its files, stratifies, renders the summary PDF
and checks each step left what it should; used by the bundle test and by support on a clerk's PC.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from dhdesk import __version__
from dhdesk.services import demo

SELF_TEST_MEMBERS = 300


@dataclass(frozen=True)
class SelfTestReport:
    ok: bool
    checks: list[tuple[str, bool]]
    folder: Path

    @property
    def summary(self) -> str:
        lines = [f"dhdesk {__version__} 動作確認: {'成功' if self.ok else '失敗'}（{self.folder}）"]
        lines += [f"  {'OK ' if passed else 'NG '} {name}" for name, passed in self.checks]
        return "\n".join(lines)


def run_self_test(folder: Path | None = None) -> SelfTestReport:
    """Run the demo in `folder` (a new temporary folder when None) and check what it produced."""
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="dhdesk-selftest-"))
    result = demo.build_demo(folder, members=SELF_TEST_MEMBERS, seed=1)
    pdfs = [p for p in result.outputs if p.suffix == ".pdf"]
    csvs = [p for p in result.outputs if p.suffix == ".csv"]
    checks = [
        ("受信ファイルの書き出し", bool(result.files) and all(path.exists() for path in result.files)),
        ("ワークスペースの作成と取込", result.workspace_path.exists()),
        ("階層化結果のCSV", bool(csvs) and all(p.stat().st_size > 0 for p in csvs)),
        ("概要PDF（日本語フォント埋め込み）", bool(pdfs) and all(_is_pdf_with_embedded_font(p) for p in pdfs)),
    ]
    return SelfTestReport(all(passed for _, passed in checks), checks, folder)


def _is_pdf_with_embedded_font(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and b"/FontFile2" in data
