"""Problems found in input data, reported as data rather than raised (エラー・警告の一覧)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """An error blocks an import; a warning is shown but lets it through."""

    ERROR = "エラー"
    WARNING = "警告"


@dataclass(frozen=True)
class Issue:
    """One problem: where it is (file, 1-based row as the clerk sees it, column header) and what it is."""

    source: str
    row: int | None
    column: str | None
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def describe(self) -> str:
        """One Japanese line for the CLI and logs: 「file 12行目 「腹囲」: message」."""
        where = self.source
        if self.row is not None:
            where += f" {self.row}行目"
        if self.column:
            where += f" 「{self.column}」"
        return f"[{self.severity.value}] {where}: {self.message}"


def has_errors(issues: list[Issue]) -> bool:
    """True when any issue blocks the operation."""
    return any(i.severity is Severity.ERROR for i in issues)
