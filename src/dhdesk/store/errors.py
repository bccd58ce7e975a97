"""Why a workspace (ワークスペース) operation was refused, as exceptions carrying a Japanese message.

Each message is written for the clerk and can be shown as-is by the GUI or printed by the CLI; the
technical cause, when there is one, is kept in `detail` for logs.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base of every refusal the store reports to a clerk (never a raw DuckDB traceback)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class WorkspaceLocked(StoreError):
    """Another dhdesk (another process, or another window of this one) has the file open."""

    def __init__(self, path: Path, pid: int | None = None, detail: str = "") -> None:
        holder = f"（プロセス番号 {pid}）" if pid else ""
        super().__init__(
            f"このワークスペースは別のdhdeskで開かれています{holder}。"
            f"もう一方を閉じてから、もう一度開いてください。\n{path}",
            detail,
        )
        self.path = path
        self.pid = pid


class WorkspaceExists(StoreError):
    """Creating would overwrite an existing file."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"同じ名前のファイルが既にあります。別の名前を指定してください。\n{path}")
        self.path = path


class WorkspaceNotFound(StoreError):
    """The file to open does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"ワークスペースのファイルが見つかりません。\n{path}")
        self.path = path


class NotAWorkspace(StoreError):
    """The file is not a dhdesk workspace (another program's file, or damaged)."""

    def __init__(self, path: Path, detail: str = "") -> None:
        super().__init__(f"このファイルはdhdeskのワークスペースではないか、壊れています。\n{path}", detail)
        self.path = path


class WorkspaceTooNew(StoreError):
    """The file was written by a newer dhdesk whose schema this version does not know."""

    def __init__(self, path: Path, version: int, supported: int) -> None:
        super().__init__(
            f"このワークスペースは新しいバージョンのdhdeskで更新されています（形式 {version}、"
            f"このdhdeskは {supported} まで）。dhdeskを更新してから開いてください。\n{path}"
        )
        self.path = path
        self.version = version


class MigrationFailed(StoreError):
    """Upgrading the file's schema failed; the file was left as it was."""

    def __init__(self, version: int, backup: Path, detail: str) -> None:
        super().__init__(
            f"ワークスペースの形式を {version} に更新できませんでした。ファイルは変更していません。"
            f"更新前のバックアップ: {backup}",
            detail,
        )
        self.version = version
        self.backup = backup


class InvalidUnionInfo(StoreError):
    """The union's name or 保険者番号 is missing or malformed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class AlreadyImported(StoreError):
    """The same file (same content) was already imported as an active batch."""

    def __init__(self, source_name: str, batch_id: int, imported_at: str) -> None:
        super().__init__(
            f"「{source_name}」と同じ内容のファイルは {imported_at} に取り込み済みです（取込番号 {batch_id}）。"
            "取り込み直す場合は、先にその取込を取り消してください。"
        )
        self.batch_id = batch_id


class ImportRejected(StoreError):
    """The rows broke a rule of the workspace; nothing of the batch was written."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(f"取り込めませんでした。何も登録していません。\n{message}", detail)


class BatchNotFound(StoreError):
    """Undo was asked for a batch that does not exist or is already undone."""

    def __init__(self, batch_id: int, undone: bool = False) -> None:
        state = "既に取り消されています" if undone else "見つかりません"
        super().__init__(f"取込番号 {batch_id} は{state}。")
        self.batch_id = batch_id


class InvalidBackup(StoreError):
    """The file chosen for a restore is not a backup of this union's workspace."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"このファイルからは復元できません。{reason}\n{path}")
        self.path = path
