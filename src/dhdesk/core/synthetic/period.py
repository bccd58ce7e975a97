"""The generated period (対象期間: fiscal years) and vectorised date arithmetic on numpy day arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPEN_END = np.datetime64("2200-01-01", "D")
"""Stands for "still enrolled" inside the generator; becomes NaT in the frames."""


def ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of each datetime64[D] value."""
    months = dates.astype("datetime64[M]")
    years = months.astype("datetime64[Y]").astype(int) + 1970
    month = months.astype(int) % 12 + 1
    day = (dates - months.astype("datetime64[D]")).astype(int) + 1
    return years, month, day


def make_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray | int = 1) -> np.ndarray:
    """datetime64[D] from year, month and day arrays (day is clipped to the month's length)."""
    first = ((np.asarray(year) - 1970) * 12 + np.asarray(month) - 1).astype("datetime64[M]")
    last_day = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(int)
    offset = np.minimum(np.asarray(day), last_day) - 1
    return first.astype("datetime64[D]") + offset


def age_on(birth: np.ndarray, when: np.ndarray | np.datetime64) -> np.ndarray:
    """Completed years of age on a date (birthday already reached counts)."""
    by, bm, bd = ymd(birth)
    wy, wm, wd = ymd(np.broadcast_to(np.asarray(when, dtype="datetime64[D]"), birth.shape))
    before_birthday = (wm < bm) | ((wm == bm) & (wd < bd))
    return wy - by - before_birthday.astype(int)


def fiscal_year_of(dates: np.ndarray) -> np.ndarray:
    """年度: April to March belongs to the year it starts in."""
    year, month, _ = ymd(dates)
    return year - (month < 4)


@dataclass(frozen=True)
class Window:
    """The fiscal years generated: from 1 April of the first to 31 March after the last."""

    fiscal_years: tuple[int, ...]

    @property
    def start(self) -> np.datetime64:
        return np.datetime64(f"{min(self.fiscal_years)}-04-01", "D")

    @property
    def end(self) -> np.datetime64:
        """First day after the window (exclusive)."""
        return np.datetime64(f"{max(self.fiscal_years) + 1}-04-01", "D")

    @property
    def years(self) -> int:
        return max(self.fiscal_years) - min(self.fiscal_years) + 1

    @property
    def month_starts(self) -> np.ndarray:
        """First day of every service month (診療月) in the window."""
        months = np.arange(self.start.astype("datetime64[M]"), self.end.astype("datetime64[M]"))
        return months.astype("datetime64[D]")

    def fiscal_year_start(self, year: int) -> np.datetime64:
        return np.datetime64(f"{year}-04-01", "D")
