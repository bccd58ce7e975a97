"""The `dhdesk` command: opens the app, or runs a use case from the command line (same services as the GUI)."""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Sequence
from datetime import date
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
        description="加入者台帳・健診結果（CSV/Excel/特定健診XML）・レセプト（CSV/レセ電）・医薬品マスター・傷病名マスターを取り込みます。"
        "1件でもエラーがあればそのファイルは取り込まず、行と列つきの一覧を表示して終了コード1で終わります。",
    )
    imp.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    imp.add_argument("files", type=Path, nargs="+", help="取り込むファイル（レセプトCSVは4表を置いたフォルダ）")
    imp.add_argument("--kind", choices=["members", "checkups", "claims", "drugs", "diseases"],
                     help="種類（省略時は内容から判定）")
    imp.add_argument("--preset", metavar="NAME", help="列の対応づけに使う取込プリセット（省略時は見出しが一致するプリセット）")
    imp.add_argument("--valid-rows-only", action="store_true",
                     help="エラーのある行を除き、残りの行だけを取り込む（除いた行は一覧に出ます）")
    imp.add_argument("--errors", type=Path, metavar="XLSX", help="エラー・警告の一覧を xlsx に保存（健診機関への返送用）")

    analyze = sub.add_parser(
        "analyze",
        help="ワークスペースの年度の分析表（データヘルス計画の表）を xlsx に書き出す",
        description="年度の分析（実施率、医療費、後発医薬品使用割合、多剤服用、リスク分布、腎症…）を1表1シートで書き出します。",
    )
    analyze.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    analyze.add_argument("--fiscal-year", type=int, required=True, metavar="YYYY", help="年度")
    analyze.add_argument("-o", "--output", type=Path, required=True, help="出力 xlsx")

    targets = sub.add_parser(
        "targets",
        help="保健事業の対象者を抽出し、理由つきの一覧を xlsx に書き出す（下書きとして保存）",
        description="PROGRAM（hokenshido 特定保健指導, jushin 受診勧奨, chudan 治療中断, jinsho 腎症重症化予防, "
        "mijushin 健診未受診, generic 差額通知, tazai 多剤服用）の対象者を抽出し、共通の除外（資格喪失・死亡・通知不要・"
        "通知済み）をして、1人1行の一覧・抽出条件・絞り込みの経過を書き出します。結果は下書きとして保存されます。",
    )
    targets.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    targets.add_argument("program", help="抽出の種類 (例 jushin)")
    targets.add_argument("--fiscal-year", type=int, required=True, metavar="YYYY", help="年度")
    targets.add_argument("--month", metavar="YYYY-MM", help="対象の月（差額通知・多剤服用は必須）")
    targets.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                         help="この実行だけ設定値を変える（繰り返し可。例 --set window_months=6）")
    targets.add_argument("-o", "--output", type=Path, required=True, help="出力 xlsx")

    approve = sub.add_parser(
        "approve",
        help="下書きの対象者リストを確定する（除外を反映し、利用券番号・比較のための保留を決める）",
        description="`dhdesk targets` で保存した下書き（実行番号）に、事務局の判断による除外を理由つきで反映して確定します。"
        "確定したリストは `dhdesk mail` で発送できます。",
    )
    approve.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    approve.add_argument("run_id", type=int, help="下書きの実行番号")
    approve.add_argument("--exclude", action="append", default=[], metavar="加入者番号=理由",
                         help="この人を理由つきで除外する（繰り返し可）")
    approve.add_argument("--holdout", type=float, default=0.0, metavar="PERCENT",
                         help="効果測定のため送らずに残す割合（%%。既定 0、上限 20）")
    approve.add_argument("--seed", type=int, help="保留の抽選の乱数の種（同じ結果を再現するとき）")

    report = sub.add_parser(
        "report",
        help="ワークスペースの年度のデータヘルス計画（PDF）を作る",
        description="表紙・目次・7章（現状、実施状況、健康課題、目標、支援金、推進体制）の計画書をA4 PDFで書き出します。"
        "公表用は1〜9人の区分を「<10」と表示し、合計から逆算できないよう補完秘匿します（--internal で秘匿なし）。",
    )
    report.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    report.add_argument("--fiscal-year", type=int, required=True, metavar="YYYY", help="年度")
    report.add_argument("-o", "--output", type=Path, required=True, help="出力 PDF")
    report.add_argument("--xlsx", type=Path, help="同じ表を書き出す xlsx")
    report.add_argument("--internal", action="store_true", help="内部用（少人数の区分を伏せない）")

    mail = sub.add_parser(
        "mail",
        help="承認済みの対象者リストから通知文・宛名ラベル・発送リスト・控えを作り、発送記録に残す",
        description="通知文（A4三つ折り・長3窓付き封筒用のPDF。1,000通ごとに分割）、宛名ラベル（PDF）、発送リスト（xlsx、"
        "郵便番号と住所の確認つき）、控え（xlsx）を OUTDIR に書き、発送記録に残します。"
        "ファイル名は <年度>_<事業>_<発送番号>_{letters,labels,list,summary} です。",
    )
    mail.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    mail.add_argument("run_id", type=int, help="承認済みの対象者リストの実行番号")
    mail.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR", help="出力フォルダ")
    mail.add_argument("--route", choices=["home", "office", "mixed"],
                      help="送付方法（home 自宅直送, office 所属所経由, mixed 組合員は所属所・被扶養者は自宅。省略時は事業の設定）")
    mail.add_argument("--labels", choices=["12", "24"], default="12", help="宛名ラベル A4 12面 / 24面 (既定 12)")
    mail.add_argument("--sent-date", metavar="YYYY-MM-DD", type=_date_argument,
                      help="発送日（通知文の日付。省略時は今日の日付を印字し、発送日は後で入力）")
    mail.add_argument("--glyph-fallback", action="store_true",
                      help="同梱フォントにない文字を「〓」に置き換えて印刷する（省略時はその加入者を一覧して中止）")

    mail_history = sub.add_parser("mail-history", help="発送履歴（発送番号・通知数・状態）を表示する")
    mail_history.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    mail_history.add_argument("--program", help="事業で絞る (例 jushin)")

    effect = sub.add_parser(
        "effect",
        help="発送した通知の効果（受診率・後発医薬品への切替率）を xlsx に書き出す",
        description="発送番号の通知について、通知後のレセプトから受診率（受診勧奨・治療中断・腎症）または"
        "切替率と削減効果額（差額通知）を、送らなかった対象者と比べて書き出します。",
    )
    effect.add_argument("workspace", type=Path, help="ワークスペース (*.dhdesk)")
    effect.add_argument("batch_id", type=int, help="発送番号")
    effect.add_argument("-o", "--output", type=Path, help="出力 xlsx (既定 effect_<発送番号>.xlsx)")
    return parser


def _date_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付「{text}」が読めません。YYYY-MM-DD の形で指定してください。") from None


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


def _opened(path: Path):
    """The workspace at `path`, or None after printing why it cannot be opened (the command exits 1)."""
    from dhdesk.services import workspaces

    try:
        return workspaces.open_workspace(path)
    except workspaces.WorkspaceOpenError as error:
        print(str(error), file=sys.stderr)
        return None


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
    from dhdesk.services import imports

    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    refused = False
    results = []
    with workspace:
        for path in args.files:
            kind = args.kind or imports.kind_of(workspace, path)
            if kind is None:
                print(f"{path.name}: 種類を判定できません。--kind で指定してください。", file=sys.stderr)
                refused = True
                continue
            preset = args.preset if imports.takes_mapping(path, kind) else None
            result = imports.import_file(workspace, path, kind, preset=preset, valid_rows_only=args.valid_rows_only,
                                         progress=_console_progress())
            _print_issues(result.issues)
            print(result.message)
            refused |= not result.accepted
            results.append(result)
    if args.errors and any(result.issues for result in results):
        print(f"エラー・警告の一覧を保存しました: {imports.save_issue_report(results, args.errors)}")
    return EXIT_REFUSED if refused else EXIT_OK


def _run_analyze(args: argparse.Namespace) -> int:
    from dhdesk.services import analyses

    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    with workspace:
        result = analyses.analyze_to_xlsx(workspace, args.fiscal_year, args.output, progress=_console_progress())
    print(result.summary)
    return EXIT_OK


def _run_targets(args: argparse.Namespace) -> int:
    from dhdesk.services import programs

    try:
        programs.get_program(args.program)
        pairs = [text.split("=", 1) for text in args.set]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError("--set は 名前=値 の形で指定してください。")
        overrides = programs.parse_parameters(args.program, dict(pairs))
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return EXIT_USAGE
    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    with workspace:
        try:
            run_id, result = programs.run_program(workspace, args.program, args.fiscal_year, month=args.month,
                                                  params=overrides, progress=_console_progress())
        except ValueError as error:
            print(str(error), file=sys.stderr)
            return EXIT_USAGE
        path = programs.export_targets_xlsx(workspace, run_id, args.output)
    for label, count in result.funnel:
        print(f"  {label}: {count:,}人")
    print(f"{path} に書き出しました（実行番号 {run_id}、下書き）。")
    return EXIT_OK


def _run_approve(args: argparse.Namespace) -> int:
    from dhdesk.services import programs
    from dhdesk.store.errors import StoreError

    pairs = [text.split("=", 1) for text in args.exclude]
    if any(len(pair) != 2 or not pair[1].strip() for pair in pairs):
        print("--exclude は 加入者番号=理由 の形で指定してください。", file=sys.stderr)
        return EXIT_USAGE
    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    with workspace:
        try:
            for member_id, reason in pairs:
                programs.exclude(workspace, args.run_id, member_id.strip(), reason.strip())
            counts = programs.approve(workspace, args.run_id, args.holdout / 100, args.seed)
        except (ValueError, StoreError) as error:
            print(str(error), file=sys.stderr)
            return EXIT_REFUSED
    print(f"実行番号 {args.run_id} を確定しました: 通知 {counts['final'] - counts['holdout']:,}人、"
          f"比較のための保留 {counts['holdout']:,}人、利用券番号 {counts['vouchers']:,}件。")
    return EXIT_OK


def _run_report(args: argparse.Namespace) -> int:
    from dhdesk.services import plan

    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    with workspace:
        result = plan.write_plan(workspace, args.fiscal_year, args.output, args.xlsx, internal=args.internal,
                                 progress=_console_progress())
    print(result.summary)
    return EXIT_OK


def _run_mail(args: argparse.Namespace) -> int:
    from dhdesk.services import mailing, workspaces

    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    with workspace:
        try:
            result = mailing.generate_batch(workspace, args.run_id, args.output, route=args.route,
                                            label_sheet=args.labels, sent_date=args.sent_date,
                                            glyph_fallback=args.glyph_fallback, progress=_console_progress())
        except (ValueError, workspaces.WorkspaceOpenError) as error:  # refusals: MailingRefused, TemplateError, store
            print(str(error), file=sys.stderr)
            return EXIT_REFUSED
    print(result.summary)
    return EXIT_OK


def _run_mail_history(args: argparse.Namespace) -> int:
    from dhdesk.services import mailing

    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    with workspace:
        table = mailing.history(workspace, args.program)
    if table.empty:
        print("発送記録はまだありません。")
        return EXIT_OK
    print(table.to_string(index=False, na_rep=""))
    return EXIT_OK


def _run_effect(args: argparse.Namespace) -> int:
    from dhdesk.services import effect, workspaces

    workspace = _opened(args.workspace)
    if workspace is None:
        return EXIT_REFUSED
    output = args.output or Path(f"effect_{args.batch_id}.xlsx")
    with workspace:
        try:
            tables = effect.measure_to_xlsx(workspace, output, [args.batch_id], progress=_console_progress())
        except (effect.EffectNotAvailable, ValueError, workspaces.WorkspaceOpenError) as error:
            print(str(error), file=sys.stderr)
            return EXIT_REFUSED
    print(f"{output} に書き出しました（{len(tables)}表）。")
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
    """Entry point of the console script; returns the process exit code.

    `freeze_support` first: in the frozen Windows app a spawned worker (letters are rendered by two
    processes) starts this same executable, and must run its task instead of the command line.
    """
    multiprocessing.freeze_support()
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
    if args.command == "report":
        return _run_report(args)
    if args.command == "targets":
        return _run_targets(args)
    if args.command == "approve":
        return _run_approve(args)
    if args.command == "mail":
        return _run_mail(args)
    if args.command == "mail-history":
        return _run_mail_history(args)
    if args.command == "effect":
        return _run_effect(args)
    if args.command == "open":
        return _open_gui(args.workspace)
    return _open_gui(None)
