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
    """One problem: where it is (file, 1-based row as the clerk sees it, column header) and what it is.

    `value` is the cell's or field's text exactly as the file has it (not normalised), so the clinic can
    search its own file for it; None when there is no such text (a missing column, a blank cell, a whole file).
    """

    source: str
    row: int | None
    column: str | None
    code: str
    message: str
    severity: Severity = Severity.ERROR
    value: str | None = None

    def describe(self) -> str:
        """One Japanese line for the CLI and logs: 「file 12行目 「腹囲」 値「85.5cm」: message」.

        The value is left out when the message already quotes it, so a line never says it twice.
        """
        where = self.source
        if self.row is not None:
            where += f" {self.row}行目"
        if self.column:
            where += f" 「{self.column}」"
        if self.value and self.value not in self.message:
            where += f" 値「{self.value}」"
        return f"[{self.severity.value}] {where}: {self.message}"


def has_errors(issues: list[Issue]) -> bool:
    """True when any issue blocks the operation."""
    return any(i.severity is Severity.ERROR for i in issues)
