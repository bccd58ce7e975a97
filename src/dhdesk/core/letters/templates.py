"""Letter templates (文面テンプレート): the clerk-editable wording of each program's letter and its placeholders.

The defaults live in `resources/letters/<program>.toml`; the workspace stores the clerk's edited copy
as JSON (`to_dict` / `from_dict`). Wording may use placeholders such as `{氏名}`; only the names in
`placeholders(program)` are allowed, and an unknown one is reported in Japanese with the allowed list,
so the editor can refuse it before anything is printed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

COMMON_PLACEHOLDERS: tuple[str, ...] = ("氏名", "加入者番号", "年度", "発行日", "組合名", "担当", "電話番号")

PROGRAM_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "hokenshido": ("健診日", "支援レベル", "利用券番号", "有効期限"),
    "jushin": ("健診日", "受診勧奨項目", "項目数", "確認期間"),
    "chudan": ("対象疾患", "最終受診月", "最終受診先", "経過月数"),
    "jinsho": ("健診日", "区分", "対応", "腎症病期"),
    "mijushin": ("未受診パターン",),
    "generic": ("対象月", "差額合計", "自己負担割合"),
    "tazai": ("対象月", "薬剤数"),
}
"""The placeholders each program fills (with COMMON_PLACEHOLDERS); `build.py` supplies exactly these."""

_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


class TemplateError(ValueError):
    """Wording uses a placeholder the program does not fill."""


def placeholders(program: str) -> tuple[str, ...]:
    """The placeholder names allowed in `program`'s wording."""
    if program not in PROGRAM_PLACEHOLDERS:
        raise KeyError(f"「{program}」という保健事業の文面はありません。")
    return COMMON_PLACEHOLDERS + PROGRAM_PLACEHOLDERS[program]


@dataclass(frozen=True)
class LetterTemplate:
    """The wording of one program's letter. Empty `reply_title` means no 受診報告書."""

    program: str
    title: str
    paragraphs: tuple[str, ...]
    table_heading: str = ""
    notes: tuple[str, ...] = ()
    sender_lines: tuple[str, ...] = ()
    confidential: str = "親展"
    reply_title: str = ""
    reply_text: str = ""
    reply_fields: tuple[str, ...] = ()
    voucher_valid_months: int = 0
    """特定保健指導: the 利用券 is valid until the end of the month this many months after the issue date."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LetterTemplate:
        """From the stored JSON (or parsed TOML); unknown keys are refused so a typo is not silently lost."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TemplateError(f"文面テンプレートに不明な項目があります: {'、'.join(unknown)}")
        values = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
        return cls(**values)

    @classmethod
    def from_toml(cls, text: str) -> LetterTemplate:
        return cls.from_dict(tomllib.loads(text))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tuples become lists."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    def texts(self) -> tuple[str, ...]:
        """Every piece of wording that may hold placeholders."""
        return (self.title, *self.paragraphs, self.table_heading, *self.notes, *self.sender_lines,
                self.reply_title, self.reply_text)

    def problems(self) -> list[str]:
        """Japanese messages for the editor: each unknown placeholder, with the allowed ones listed."""
        allowed = placeholders(self.program)
        unknown = sorted({name for text in self.texts() for name in _PLACEHOLDER.findall(text)} - set(allowed))
        return [_unknown_message(name, allowed) for name in unknown]


def _unknown_message(name: str, allowed: tuple[str, ...]) -> str:
    listed = "、".join(f"{{{a}}}" for a in allowed)
    return f"差し込み項目「{{{name}}}」は使えません。使える項目: {listed}"


def fill(text: str, program: str, values: Mapping[str, str]) -> str:
    """`text` with every `{名前}` replaced; `TemplateError` for a name the program does not fill."""
    allowed = placeholders(program)

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name not in allowed:
            raise TemplateError(_unknown_message(name, allowed))
        return values.get(name, "")

    return _PLACEHOLDER.sub(replace, text)


@cache
def default_template(program: str) -> LetterTemplate:
    """The shipped wording, `resources/letters/<program>.toml`."""
    placeholders(program)
    path = resources.files("dhdesk") / "resources" / "letters" / f"{program}.toml"
    return LetterTemplate.from_toml(path.read_text(encoding="utf-8"))
