"""The insurer (保険者) a workspace belongs to: what letterheads and the summary plan print."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class UnionType(str, Enum):
    """保険者種別: decides targets such as the 後期高齢者支援金 加算 bounds."""

    SINGLE = "単一健保"
    COMPOSITE = "総合健保"
    MUTUAL_AID = "共済組合"


@dataclass(frozen=True)
class UnionInfo:
    """名称・保険者番号・所在地: entered once when the workspace is created."""

    name: str
    insurer_number: str
    union_type: UnionType = UnionType.MUTUAL_AID
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    department: str = ""

    def problems(self) -> list[str]:
        """Japanese messages for what a clerk must fix before the workspace can be created."""
        found = []
        if not self.name.strip():
            found.append("組合の名称を入力してください。")
        digits = self.insurer_number.strip()
        if not (digits.isascii() and digits.isdigit() and len(digits) in (6, 8)):
            found.append("保険者番号は6桁または8桁の数字で入力してください。")
        return found


DEPENDANT_LABEL = "被扶養者"


def insured_label(union_type: UnionType) -> str:
    """What the insured person is called: 組合員 in a 共済組合, 被保険者 in a 健保組合."""
    return "組合員" if union_type is UnionType.MUTUAL_AID else "被保険者"
