"""The `dhdesk` command: opens the app, or runs a use case from the command line (same services as the GUI)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dhdesk import __version__
from dhdesk.core.issues import Issue
from dhdesk.core.progress import ProgressFn

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dhdesk",
        description="dhdesk: 健保組合・共済組合のデータヘルス実務をオフラインで。引数なしで画面を開きます。",
    )
    parser.add_argument("--version", action="version", version=f"dhdesk {__version__}")
    parser.add_argument(
        "--self-test",
        metavar="DIR",
        nargs="?",
        const="",
        help="画面を出さずに動作確認（サンプル生成・取込・階層化・PDF出力）をして終了します。DIR に結果を残します",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = sub.add_parser("open", help="ワークスペースを指定して画面を開く")
    open_cmd.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")

    demo = sub.add_parser(
        "demo",
        help="サンプル組合を生成し、事務室に届く形のファイルを書き出して取り込む",
        description="架空の組合（決まった乱数種で再現可能）を生成し、届くファイル（加入者台帳CSV、健診機関のExcel/CSV、"
        "レセプトCSV、医薬品マスター）を書き出し、ワークスペースに取り込み、階層化の結果を出力します。",
    )
    demo.add_argument("--members", type=int, default=3000, help="加入者数 (既定 3000)")
    demo.add_argument("--seed", type=int, default=20241, help="乱数種 (既定 20241)")
    demo.add_argument("-o", "--output", type=Path, default=Path("demo-out"), help="出力フォルダ (既定 ./demo-out)")

    strat = sub.add_parser(
        "stratify",
        help="健診結果ファイルを階層化・メタボ判定してCSVに書く（ワークスペース不要）",
        description="標準レイアウトの健診結果 (CSV: UTF-8/UTF-8 BOM/cp932, または xlsx) を第4期の基準で階層化し、"
        "入力1行につき1行（加入者番号, 保健指導レベル, メタボ判定, 理由 …）を UTF-8 (BOM付き) CSV で書きます。",
    )
    strat.add_argument("checkups", type=Path, help="健診結果ファイル (csv / xlsx)")
    strat.add_argument("--fiscal-year", type=int, required=True, metavar="YYYY", help="年度 (例 2025 = 2025年4月〜2026年3月)")
    strat.add_argument("-o", "--output", type=Path, required=True, help="出力CSV")
    imp = sub.add_parser(
        "import",
        help="届いたファイルをワークスペースに取り込む（全件取込か、取込なし）",
        description="加入者台帳・健診結果（CSV/Excel/特定健診XML）・レセプト（CSV/レセ電）・医薬品マスターを取り込みます。"
        "1件でもエラーがあればそのファイルは取り込まず、行と列つきの一覧を表示して終了コード1で終わります。",
    )
    imp.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    imp.add_argument("files", type=Path, nargs="+", help="取り込むファイル（レセプトCSVは4表を置いたフォルダ）")
    imp.add_argument("--kind", choices=["members", "checkups", "claims", "drugs"], help="種類（省略時は内容から判定）")

    analyze = sub.add_parser(
        "analyze",
        help="ワークスペースの年度の分析表（データヘルス計画の表）を xlsx に書き出す",
        description="年度の分析（実施率、医療費、後発医薬品使用割合、多剤服用、リスク分布、腎症…）を1表1シートで書き出します。",
    )
    analyze.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    analyze.add_argument("--fiscal-year", type=int, required=True, metavar="YYYY", help="年度")
    analyze.add_argument("-o", "--output", type=Path, required=True, help="出力 xlsx")
    return parser


def _print_issues(issues: Sequence[Issue], limit: int = 50) -> None:
    for issue in issues[:limit]:
        print(issue.describe(), file=sys.stderr)
    if len(issues) > limit:
        print(f"…ほか {len(issues) - limit} 件", file=sys.stderr)


def _console_progress() -> ProgressFn:
    last = [-1]

    def progress(fraction: float, message: str) -> None:
        percent = int(fraction * 100)
        if percent // 10 != last[0] // 10:
            print(f"[{percent:3d}%] {message}", file=sys.stderr)
        last[0] = percent

    return progress


def _run_demo(args: argparse.Namespace) -> int:
    from dhdesk.services import demo

    result = demo.build_demo(args.output, members=args.members, seed=args.seed, progress=_console_progress())
    print(result.summary)
    return EXIT_OK


def _run_stratify(args: argparse.Namespace) -> int:
    from dhdesk.services import stratification

    result = stratification.stratify_file(args.checkups, args.fiscal_year, args.output)
    _print_issues(result.issues)
    if not result.written:
        return EXIT_REFUSED
    print(result.summary)
    return EXIT_OK


def _run_import(args: argparse.Namespace) -> int:
    from dhdesk.services import imports, workspaces

    try:
        workspace = workspaces.open_workspace(args.workspace)
    except workspaces.WorkspaceOpenError as error:
        print(str(error), file=sys.stderr)
        return EXIT_REFUSED
    refused = False
    with workspace:
        for path in args.files:
            kind = args.kind or imports.detect_kind(path)
            if kind is None:
                print(f"{path.name}: 種類を判定できません。--kind で指定してください。", file=sys.stderr)
                refused = True
                continue
            result = imports.import_file(workspace, path, kind, progress=_console_progress())
            _print_issues(result.issues)
            print(result.message)
            refused |= not result.accepted
    return EXIT_REFUSED if refused else EXIT_OK


def _run_analyze(args: argparse.Namespace) -> int:
    from dhdesk.services import analyses, workspaces

    try:
        workspace = workspaces.open_workspace(args.workspace)
    except workspaces.WorkspaceOpenError as error:
        print(str(error), file=sys.stderr)
        return EXIT_REFUSED
    with workspace:
        result = analyses.analyze_to_xlsx(workspace, args.fiscal_year, args.output, progress=_console_progress())
    print(result.summary)
    return EXIT_OK


def _run_self_test(directory: str) -> int:
    from dhdesk.services import selftest

    report = selftest.run_self_test(Path(directory) if directory else None)
    print(report.summary)
    return EXIT_OK if report.ok else EXIT_REFUSED


def _open_gui(workspace: Path | None) -> int:
    from dhdesk import app

    return app.main(workspace=workspace)


def _ensure_streams() -> None:
    """A windowed (frozen) build starts with no stdout/stderr; printing must not crash it."""
    import os

    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    _ensure_streams()
    args = _parser().parse_args(argv)
    if args.self_test is not None:
        return _run_self_test(args.self_test)
    if args.command == "demo":
        return _run_demo(args)
    if args.command == "stratify":
        return _run_stratify(args)
    if args.command == "import":
        return _run_import(args)
    if args.command == "analyze":
        return _run_analyze(args)
    if args.command == "open":
        return _open_gui(args.workspace)
    return _open_gui(None)
