"""Plausibility checks (妥当性チェック) of typed frames before they are imported.

Readers only say whether a cell can be read; these checks say whether what was read can be true: values a
body cannot show (error: the row is not imported), values outside the 日医特定健診システム input range,
BMI that disagrees with 身長・体重, 健診日 outside the 年度 or in the future, implausible 生年月日, the same
key twice in one file, members the roster does not know and 受診 outside the member's 資格期間.
Every issue points at the row number and the header of the clerk's own file, and quotes the cell's text
as the file has it when the caller passes the file's cells (a typed value is never passed off as the
clerk's text). Ranges and tolerances live in resources/rules/check_ranges.toml.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dhdesk.core.fields import CHECKUPS, MEMBERS, RECEIPTS, Layout
from dhdesk.core.issues import Issue, Severity

ROW_COLUMN = "source_row"
"""The column of a read frame holding each row's number in the clerk's file (the io readers' convention)."""


@dataclass(frozen=True)
class ItemRange:
    """Bounds of one measured item: outside `possible` is an error, outside `jma` a warning."""

    name: str
    possible: tuple[float, float]
    jma: tuple[float, float] | None = None
    why: str = ""


@dataclass(frozen=True)
class CheckRules:
    """Everything the checks compare against (check_ranges.toml)."""

    items: tuple[ItemRange, ...]
    bmi_tolerance: float
    max_age_years: int
    exam_future_days: int
    sources: Mapping[str, str] = field(default_factory=dict)


def load_check_rules(path: str | Path | None = None) -> CheckRules:
    """The shipped check_ranges.toml, or the file at `path` (a union's own copy)."""
    if path is None:
        text = (resources.files("dhdesk") / "resources" / "rules" / "check_ranges.toml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    items = tuple(
        ItemRange(name, _bounds(entry["possible"]), _bounds(entry["jma"]) if "jma" in entry else None,
                  entry.get("why", ""))
        for name, entry in data["items"].items()
    )
    cross = data["cross"]
    return CheckRules(items, float(cross["bmi_tolerance"]), int(cross["max_age_years"]),
                      int(cross["exam_future_days"]), dict(data.get("source", {})))


def _bounds(pair: list[float]) -> tuple[float, float]:
    low, high = (float(v) for v in pair)
    if low > high:
        raise ValueError(f"range {pair} has its lower bound above its upper bound")
    return low, high


@dataclass(frozen=True)
class SourceFile:
    """Where a frame came from: the file name and, per field name, the header it was read from.

    `cells` is the file's own text (columns named by header, index = the row number the clerk sees, NA for
    a blank cell), so an issue can quote the cell exactly as written rather than the normalised value.
    """

    name: str
    headers: Mapping[str, str] = field(default_factory=dict)
    cells: pd.DataFrame | None = None

    def header(self, layout: Layout, name: str) -> str:
        return self.headers.get(name) or layout.field(name).label


def check_checkups(
    frame: pd.DataFrame,
    source: SourceFile,
    rules: CheckRules,
    *,
    today: date,
    fiscal_year: int | None = None,
    roster: pd.DataFrame | None = None,
) -> list[Issue]:
    """Every plausibility problem of a 健診結果 frame. `fiscal_year` is the 年度 the file is imported for
    (None: the 年度 most of its 健診日 fall in); `roster` the 加入者台帳 (None or empty: not matched)."""
    found = _Found(frame, source, CHECKUPS)
    _ranges(found, rules)
    _blood_pressure_order(found)
    _bmi(found, rules.bmi_tolerance)
    _exam_dates(found, today + pd.Timedelta(days=rules.exam_future_days), fiscal_year)
    _birth_dates(found, "exam_date", today, rules.max_age_years, after_event=Severity.ERROR)
    _duplicates(found, ("member_id", "exam_date"))
    if roster is not None and len(roster) and found.has("member_id", "exam_date"):
        _roster(found, roster)
    return found.sorted()


def check_members(frame: pd.DataFrame, source: SourceFile, rules: CheckRules, *, today: date) -> list[Issue]:
    """Plausibility problems of a 加入者台帳 frame: dates of birth and 資格期間, and repeated periods."""
    found = _Found(frame, source, MEMBERS)
    _birth_dates(found, "acquired_date", today, rules.max_age_years, after_event=Severity.WARNING)
    if found.has("acquired_date", "lost_date"):
        acquired, lost = frame["acquired_date"], frame["lost_date"]
        found.add(lost < acquired, "lost_date", "check.lost_before_acquired", Severity.ERROR,
                  lambda i: f"資格喪失日 {_day(lost.iloc[i])} が資格取得日 {_day(acquired.iloc[i])} より前です")
    _duplicates(found, ("member_id", "acquired_date"))
    return found.sorted()


def check_receipts(frame: pd.DataFrame, source: SourceFile, *, roster: pd.DataFrame | None = None) -> list[Issue]:
    """Problems of a レセプト frame no reader sees: the same レセプト番号 twice, members the roster lacks."""
    found = _Found(frame, source, RECEIPTS)
    _duplicates(found, ("receipt_id",))
    if roster is not None and len(roster) and found.has("member_id"):
        _unknown_members(found, roster)
    return found.sorted()


class _Found:
    """The frame under check and the issues found so far (one Issue per flagged row, built only for those)."""

    def __init__(self, frame: pd.DataFrame, source: SourceFile, layout: Layout) -> None:
        self.frame = frame
        self.source = source
        self.layout = layout
        self.rows = frame[ROW_COLUMN].to_numpy() if ROW_COLUMN in frame else np.arange(1, len(frame) + 1)
        self.issues: list[Issue] = []

    def add(self, mask: pd.Series | np.ndarray, name: str, code: str, severity: Severity,
            message: Callable[[int], str]) -> None:
        """An issue for each true position of `mask`, in the column of field `name` (`message` is called at once)."""
        flagged = np.flatnonzero(np.asarray(pd.Series(mask).fillna(False), dtype=bool))
        if not len(flagged):
            return
        header = self.source.header(self.layout, name)
        self.issues += [
            Issue(self.source.name, int(self.rows[i]), header, code, message(int(i)), severity, value)
            for i, value in zip(flagged, self._texts(header, flagged), strict=True)
        ]

    def _texts(self, header: str, flagged: np.ndarray) -> list[str | None]:
        """The flagged cells' text as the file has it; None for each when the file's cells are not at hand."""
        cells = self.source.cells
        if cells is None or header not in cells:
            return [None] * len(flagged)
        written = cells[header].reindex(self.rows[flagged])
        return [None if pd.isna(text) else str(text) for text in written]

    def has(self, *names: str) -> bool:
        """Whether the frame carries these fields (a partial frame skips the checks needing others)."""
        return all(name in self.frame for name in names)

    def sorted(self) -> list[Issue]:
        return sorted(self.issues, key=lambda i: (i.row or 0, i.severity is not Severity.ERROR))


def _ranges(found: _Found, rules: CheckRules) -> None:
    for item in rules.items:
        if item.name not in found.frame:
            continue
        values = found.frame[item.name].astype("float64")
        spec = found.layout.field(item.name)
        low, high = item.possible
        impossible = (values < low) | (values > high)
        found.add(impossible, item.name, "check.impossible", Severity.ERROR,
                  lambda i: f"{spec.label} {_number(values.iloc[i])}{spec.unit} はありえない値です"
                  f"（{_number(low)}〜{_number(high)}{spec.unit} の範囲外）。単位や桁を確認してください")
        if item.jma is not None:
            jma_low, jma_high = item.jma
            outside = ~impossible & ((values < jma_low) | (values > jma_high))
            found.add(outside, item.name, "check.out_of_range", Severity.WARNING,
                      lambda i: f"{spec.label} {_number(values.iloc[i])}{spec.unit} は日医特定健診システムの入力範囲"
                      f"（{_number(jma_low)}〜{_number(jma_high)}）の外です。値を確認してください")


def _blood_pressure_order(found: _Found) -> None:
    if not found.has("sbp", "dbp"):
        return
    sbp, dbp = found.frame["sbp"], found.frame["dbp"]
    found.add(dbp >= sbp, "dbp", "check.bp_order", Severity.WARNING,
              lambda i: f"拡張期血圧 {_number(dbp.iloc[i])} が収縮期血圧 {_number(sbp.iloc[i])} 以上です。"
              "上下が入れ替わっていないか確認してください")


def _bmi(found: _Found, tolerance: float) -> None:
    if not found.has("bmi", "height", "weight"):
        return
    frame = found.frame
    expected = frame["weight"] / (frame["height"] / 100) ** 2
    off = (frame["bmi"] - expected).abs() > tolerance
    found.add(off, "bmi", "check.bmi_mismatch", Severity.WARNING,
              lambda i: f"BMI {_number(frame['bmi'].iloc[i])} が身長 {_number(frame['height'].iloc[i])}cm・体重 "
              f"{_number(frame['weight'].iloc[i])}kg から計算した {expected.iloc[i]:.1f} と合いません")


def fiscal_year_of(dates: pd.Series) -> pd.Series:
    """年度 (April–March) of each date; NA for a missing date."""
    return (dates.dt.year - (dates.dt.month < 4)).astype("Int64")


def _exam_dates(found: _Found, latest: pd.Timestamp, fiscal_year: int | None) -> None:
    if not found.has("exam_date"):
        return
    exam = found.frame["exam_date"]
    future = exam > pd.Timestamp(latest)
    found.add(future, "exam_date", "check.exam_in_future", Severity.ERROR,
              lambda i: f"健診日 {_day(exam.iloc[i])} が今日より後です")
    years = fiscal_year_of(exam)
    if fiscal_year is None:
        counts = years.value_counts()
        if counts.empty:
            return
        fiscal_year = int(counts[counts == counts.max()].index.max())
    outside = ~future & years.notna() & (years != fiscal_year)
    found.add(outside, "exam_date", "check.outside_fiscal_year", Severity.WARNING,
              lambda i: f"健診日 {_day(exam.iloc[i])} は{fiscal_year}年度（{fiscal_year}年4月〜{fiscal_year + 1}年3月）"
              "の外です")


def _birth_dates(found: _Found, event: str, today: date, max_age: int, *, after_event: Severity) -> None:
    """生年月日 not after the event (健診日 / 資格取得日) nor today, and not more than `max_age` years before.

    Born after the event is an error for a 健診 (the row is someone else's) but only a warning on a roster,
    whose dates the membership system owns.
    """
    if not found.has("birth_date", event):
        return
    birth, when = found.frame["birth_date"], found.frame[event]
    event_label = found.layout.field(event).label
    now = pd.Timestamp(today)
    later = birth > when
    after_today = ~later & (birth > now)
    found.add(later, "birth_date", "check.birth_after_event", after_event,
              lambda i: f"生年月日 {_day(birth.iloc[i])} が{event_label} {_day(when.iloc[i])} より後です")
    found.add(after_today, "birth_date", "check.birth_in_future", Severity.ERROR,
              lambda i: f"生年月日 {_day(birth.iloc[i])} が今日より後です")
    reference = when.fillna(now)
    too_old = ~later & ~after_today & (birth < reference - pd.DateOffset(years=max_age))
    found.add(too_old, "birth_date", "check.too_old", Severity.ERROR,
              lambda i: f"生年月日 {_day(birth.iloc[i])} では{event_label}時点で{max_age}歳を超えます")


def _duplicates(found: _Found, key: tuple[str, ...]) -> None:
    """Every row of a key that occurs more than once: which one is right cannot be known here."""
    if not found.has(*key):
        return
    frame = found.frame
    keys = frame[list(key)]
    repeated = keys.notna().all(axis=1) & keys.duplicated(keep=False)
    if not repeated.any():
        return
    groups = pd.Series(found.rows[repeated.to_numpy()], index=repeated[repeated].index).groupby(
        [keys.loc[repeated, k] for k in key], sort=False).agg(list)
    rows_of = {tuple(k) if isinstance(k, tuple) else (k,): rows for k, rows in groups.items()}
    labels = "・".join(found.layout.field(k).label for k in key)

    def message(i: int) -> str:
        values = tuple(frame[k].iloc[i] for k in key)
        others = [r for r in rows_of[values] if r != found.rows[i]]
        shown = "、".join(_value(v) for v in values)
        return f"{labels}（{shown}）が同じ行が {'、'.join(map(str, others))}行目にもあります"

    found.add(repeated, key[-1], "check.duplicate_key", Severity.ERROR, message)


def _unknown_members(found: _Found, roster: pd.DataFrame) -> pd.Series:
    """Rows whose 加入者番号 the roster lacks (an error: the data cannot be tied to anyone)."""
    members = found.frame["member_id"]
    unknown = members.notna() & ~members.isin(roster["member_id"].dropna())
    found.add(unknown, "member_id", "check.unknown_member", Severity.ERROR,
              lambda i: f"加入者番号 {members.iloc[i]} が加入者台帳にありません")
    return unknown


def _roster(found: _Found, roster: pd.DataFrame) -> None:
    """受診 outside every 資格期間 of the member: before the first 資格取得日 or on/after a 資格喪失日."""
    unknown = _unknown_members(found, roster)
    frame = found.frame
    exams = pd.DataFrame({"position": np.arange(len(frame)), "member_id": frame["member_id"].to_numpy(),
                          "exam_date": frame["exam_date"].to_numpy()})
    exams = exams[~unknown.to_numpy() & exams["exam_date"].notna().to_numpy() & exams["member_id"].notna().to_numpy()]
    periods = roster[["member_id", "acquired_date", "lost_date"]].dropna(subset=["member_id"])
    pairs = exams.merge(periods, on="member_id")
    started = pairs["acquired_date"].isna() | (pairs["acquired_date"] <= pairs["exam_date"])
    ended = pairs["lost_date"].notna() & (pairs["exam_date"] >= pairs["lost_date"])
    covered = (started & ~ended).groupby(pairs["position"]).any()
    outside = covered.index[~covered.to_numpy()]
    if not len(outside):
        return
    pairs = pairs[pairs["position"].isin(outside)]
    last_loss = pairs["lost_date"].where(ended).groupby(pairs["position"]).max()
    first_start = pairs["acquired_date"].groupby(pairs["position"]).min()
    mask = np.zeros(len(frame), dtype=bool)
    mask[outside] = True
    exam = frame["exam_date"]

    def message(i: int) -> str:
        if pd.notna(last_loss.get(i)):
            return f"健診日 {_day(exam.iloc[i])} は資格喪失日 {_day(last_loss[i])} 以後です（資格喪失後の受診）"
        return f"健診日 {_day(exam.iloc[i])} は資格取得日 {_day(first_start[i])} より前です（資格取得前の受診）"

    found.add(mask, "exam_date", "check.not_insured", Severity.WARNING, message)


def _day(value: object) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}" if pd.notna(value) else "空欄"


def _number(value: float) -> str:
    return f"{value:.10g}"


def _value(value: object) -> str:
    return _day(value) if isinstance(value, pd.Timestamp) else str(value)
