"""Households (世帯) of 組合員 and 被扶養者: ages, names, addresses, 所属所 and the qualification history.

The shape follows seed 004 §2.1–2.2: 扶養率 ≈ 0.64, 組合員 average age ≈ 42, 被扶養者 ≈ 22 (mostly wives and
children), about 24 所属所, retirements at 60–65, new hires each April, a few 任意継続, deaths and 通知不要.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhdesk.core.fields import MEMBERS
from dhdesk.core.synthetic.period import OPEN_END, Window, age_on, make_dates, ymd
from dhdesk.core.synthetic.reference import Reference, weights
from dhdesk.core.synthetic.typed import typed_frame

HEAD, SPOUSE, CHILD, PARENT = 0, 1, 2, 3
MALE, FEMALE = 1, 2

# 組合員 age pyramid at the start of the window: (lower age, upper age, % male, % female).
PYRAMID = (
    (18, 25, 3.0, 3.5), (25, 30, 4.0, 5.0), (30, 35, 4.0, 4.6), (35, 40, 4.0, 4.5),
    (40, 45, 4.5, 4.4), (45, 50, 5.5, 4.6), (50, 55, 5.5, 4.4), (55, 60, 5.0, 3.6),
    (60, 65, 3.5, 2.2), (65, 70, 1.0, 0.5), (70, 75, 0.2, 0.1),
)
ENTRANT_SHARE = 0.08  # households whose 組合員 is hired during the window
SPOUSE_BY_AGE = ((25, 0.03), (30, 0.12), (35, 0.25), (40, 0.33), (50, 0.42), (60, 0.50), (200, 0.55))
CHILDREN_BY_AGE = ((25, 0.05), (30, 0.37), (35, 0.93), (40, 1.4), (45, 1.6), (50, 1.4), (55, 0.93), (60, 0.42), (200, 0.1))
FEMALE_HEAD_SPOUSE = 0.02  # a husband as 被扶養者 is rare
FEMALE_HEAD_CHILDREN = 0.45  # children are usually insured through the higher earner
PARENT_SHARE = 0.035
VOLUNTARY_SHARE_OLDER = 0.10  # 任意継続 among leavers aged 45+
VOLUNTARY_SHARE_YOUNGER = 0.02
NO_MAIL_SHARE = 0.012
ADDRESS2_SHARE = 0.35
PHONE_SHARE = 0.7
HARD_SURNAMES = ("髙橋", "山﨑", "渡邉", "齋藤", "𠮷田")
"""Always present (first households), so every demo exercises 外字 handling and the font check."""
BUILDING_STEMS = ("ハイツ", "コーポ", "メゾン", "レジデンス", "パレス", "グランドール", "サンハイツ", "シャトー", "ヴィラ")
BUILDING_SUFFIXES = ("桜", "緑", "中央", "第2", "Ａ棟", "東", "南", "アイリス")


@dataclass(frozen=True)
class Population:
    """One entry per person: what the checkup and claims generators need besides the roster itself."""

    member_id: np.ndarray
    sex: np.ndarray
    birth: np.ndarray
    relation: np.ndarray
    role: np.ndarray
    head: np.ndarray
    start: np.ndarray
    end: np.ndarray
    voluntary_from: np.ndarray
    office: np.ndarray
    members: pd.DataFrame

    @property
    def size(self) -> int:
        return len(self.member_id)


def _days(count: np.ndarray | float) -> np.ndarray:
    """Whole days as timedelta64 (fractions are dropped)."""
    return np.asarray(count).astype(np.int64).astype("timedelta64[D]")


def _years(years: np.ndarray | float) -> np.ndarray:
    return _days(np.round(np.asarray(years) * 365.25))


def _step(table: tuple[tuple[int, float], ...], ages: np.ndarray) -> np.ndarray:
    bounds = np.array([b for b, _ in table])
    values = np.array([v for _, v in table])
    return values[np.searchsorted(bounds, ages, side="right").clip(max=len(values) - 1)]


def _first_april(dates: np.ndarray) -> np.ndarray:
    """1 April on or after each date (public employees join on 1 April)."""
    year, month, day = ymd(dates)
    next_year = (month > 4) | ((month == 4) & (day > 1))
    return make_dates(year + next_year, np.full(len(dates), 4))


@dataclass
class _People:
    """Growing person arrays while households are assembled (internal)."""

    household: np.ndarray
    role: np.ndarray
    sex: np.ndarray
    age0: np.ndarray
    start: np.ndarray

    @classmethod
    def concat(cls, parts: list[_People]) -> _People:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def take(self, index: np.ndarray) -> _People:
        return _People(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


def _heads(count: int, window: Window, rng: np.random.Generator) -> tuple[_People, np.ndarray]:
    """組合員: sex and age from the pyramid, hire date; returns the heads and their birth dates."""
    cells = np.array([(lo, hi, sex) for lo, hi, *_ in PYRAMID for sex in (MALE, FEMALE)], dtype=float)
    cell_weights = np.array([w for *_, m, f in PYRAMID for w in (m, f)])
    cell = rng.choice(len(cells), size=count, p=cell_weights / cell_weights.sum())
    lo, hi, sex = cells[cell].T
    age0 = lo + rng.random(count) * (hi - lo)
    birth = window.start - _years(age0)
    hire_age = np.minimum(18 + rng.random(count) * 12, age0)
    start = np.minimum(_first_april(birth + _years(hire_age)), window.start)

    entrant = rng.random(count) < (ENTRANT_SHARE if window.years > 1 else 0.0)
    n_entrants = int(entrant.sum())
    if n_entrants:
        fiscal = rng.integers(1, window.years, n_entrants)
        month = np.where(rng.random(n_entrants) < 0.85, 4, rng.integers(1, 13, n_entrants))
        year = min(window.fiscal_years) + fiscal + (month < 4)
        hired = make_dates(year, month)
        hire_at = np.where(rng.random(n_entrants) < 0.7, 22.0, 18 + rng.random(n_entrants) * 17)
        birth[entrant] = hired - _years(hire_at + rng.random(n_entrants))
        start[entrant] = hired
        age0[entrant] = (window.start - birth[entrant]).astype(int) / 365.25
    people = _People(np.arange(count), np.full(count, HEAD), sex.astype(np.int8), age0, start)
    return people, birth


def _dependants(heads: _People, window: Window, rng: np.random.Generator) -> _People:
    """Spouses, children and a few parents, each tied to its household's 組合員."""
    n = len(heads.household)
    male = heads.sex == MALE
    p_spouse = np.where(male, _step(SPOUSE_BY_AGE, heads.age0), FEMALE_HEAD_SPOUSE)
    has_spouse = rng.random(n) < p_spouse
    idx = np.flatnonzero(has_spouse)
    gap = rng.normal(2.5, 3.0, len(idx))
    spouse_age = np.maximum(np.where(male[idx], heads.age0[idx] - gap, heads.age0[idx] + gap), 19.0)
    married_now = (heads.age0[idx] < 35) & (rng.random(len(idx)) < 0.35)
    married = np.where(
        married_now,
        window.start + _days(rng.random(len(idx)) * (window.end - window.start).astype(int)),
        np.maximum(heads.start[idx], window.start - _years(np.maximum(spouse_age - 24, 0) * rng.random(len(idx)))),
    )
    spouses = _People(idx, np.full(len(idx), SPOUSE), (3 - heads.sex[idx]).astype(np.int8), spouse_age,
                      np.maximum(married, heads.start[idx]))

    lam = _step(CHILDREN_BY_AGE, heads.age0) * np.where(male, 1.0, FEMALE_HEAD_CHILDREN)
    counts = np.minimum(rng.poisson(lam), 4)
    idx = np.repeat(np.arange(n), counts)
    child_age = heads.age0[idx] - rng.uniform(24, 40, len(idx))
    keep = (child_age > -window.years + 0.05) & (child_age < 23)
    keep &= ~((child_age >= 18) & (rng.random(len(idx)) > 0.45))
    idx, child_age = idx[keep], child_age[keep]
    child_birth = window.start - _years(child_age)
    children = _People(idx, np.full(len(idx), CHILD), rng.choice([MALE, FEMALE], len(idx)).astype(np.int8),
                       child_age, np.maximum(heads.start[idx], child_birth))

    has_parent = (heads.age0 >= 40) & (heads.age0 < 62) & (rng.random(n) < PARENT_SHARE)
    idx = np.flatnonzero(has_parent)
    parent_age = heads.age0[idx] + rng.uniform(26, 36, len(idx))
    parents = _People(idx, np.full(len(idx), PARENT),
                      np.where(rng.random(len(idx)) < 0.8, FEMALE, MALE).astype(np.int8), parent_age,
                      np.maximum(heads.start[idx], window.start - _years(rng.random(len(idx)) * 10)))
    return _People.concat([spouses, children, parents])


def _head_exits(birth: np.ndarray, start: np.ndarray, window: Window, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Leaving dates of 組合員 (resignation, retirement at 60–65, death); OPEN_END when still enrolled."""
    n = len(birth)
    lost = np.full(n, OPEN_END)
    died = np.zeros(n, dtype=bool)
    for k, year in enumerate(window.fiscal_years):
        fy_start = window.fiscal_year_start(year)
        fy_end = window.fiscal_year_start(year + 1)
        last = k == window.years - 1
        age = age_on(birth, fy_end - 1)
        active = (lost == OPEN_END) & (start < fy_end)
        p_death = np.minimum(0.00025 * np.exp(0.085 * (age - 40)), 0.05)
        p_resign = np.select([age < 30, age < 40, age < 55], [0.025, 0.015, 0.008], 0.01)
        p_retire = 0.0 if last else np.select([age >= 65, age >= 60], [0.55, 0.30], 0.0)
        u = rng.random(n)
        earliest = np.maximum(fy_start, start + 30)
        span = np.maximum((fy_end - earliest).astype(int), 1)
        anytime = earliest + _days(rng.random(n) * span)
        death = active & (u < p_death)
        resign = active & ~death & (u < p_death + p_resign)
        retire = active & ~death & ~resign & (u < p_death + p_resign + p_retire)
        at_year_end = ~last & (rng.random(n) < 0.5)
        lost = np.where(death, anytime + 1, lost)
        lost = np.where(resign, np.where(at_year_end, fy_end, anytime), lost)
        lost = np.where(retire, fy_end, lost)
        died |= death
    return lost, died


def generate_population(size: int, window: Window, reference: Reference, rng: np.random.Generator) -> Population:
    """Exactly `size` persons in households; the roster frame has one row per person and qualification period."""
    n_heads = int(size / 1.64 * 1.15) + 8
    heads, head_birth = _heads(n_heads, window, rng)
    deps = _dependants(heads, window, rng)
    people = _People.concat([heads, deps])
    order = np.lexsort((people.role, people.household))[:size]
    people = people.take(order)
    n = size
    is_head = people.role == HEAD
    head_of = np.searchsorted(people.household, people.household)  # heads sort first in each household
    birth = np.where(is_head, head_birth[people.household], window.start - _years(people.age0))

    head_lost, head_died = _head_exits(birth[is_head], people.start[is_head], window, rng)
    lost = np.full(n, OPEN_END)
    died = np.zeros(n, dtype=bool)
    lost[is_head], died[is_head] = head_lost, head_died
    age_end = age_on(birth, window.end - 1)
    leaving = is_head & (lost != OPEN_END) & ~died
    p_voluntary = np.where(age_end >= 45, VOLUNTARY_SHARE_OLDER, VOLUNTARY_SHARE_YOUNGER)
    voluntary = leaving & (rng.random(n) < p_voluntary)
    voluntary_from = np.where(voluntary, lost, OPEN_END)
    voluntary_days = np.where(rng.random(n) < 0.35, 60 + rng.random(n) * 670, 730).astype(int)
    end = np.where(voluntary, lost + _days(voluntary_days), lost)
    end = np.where(end >= window.end, OPEN_END, end)

    own_lost, own_died = _dependant_exits(people, birth, window, rng)
    head_end = end[head_of]
    dep = ~is_head
    end = np.where(dep, np.minimum(own_lost, head_end), end)
    died = np.where(dep, own_died & (own_lost <= head_end), died)
    voluntary_from = np.where(dep & (voluntary_from[head_of] < end), voluntary_from[head_of], voluntary_from)
    # A 被扶養者 joins while the 組合員 is regularly insured: one who would arrive only after the 組合員 left
    # or went 任意継続 (a late birth or marriage) joins before that instead, so no roster row ends before it starts.
    regular_end = np.minimum(voluntary_from, end)
    start = people.start.copy()
    late = dep & (start >= regular_end)
    birth = np.where(late & (people.role == CHILD), birth - _years(3.0), birth)
    start = np.where(late, np.maximum(start[head_of], np.minimum(birth, regular_end - 1)), start)
    start = np.where(dep & (start >= regular_end), start[head_of], start)

    return _assemble(people, birth, start, end, died, voluntary_from, head_of, window, reference, rng)


def _dependant_exits(people: _People, birth: np.ndarray, window: Window, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """被扶養者 leaving on their own: children finding work, spouses taking a job, deaths."""
    n = len(birth)
    lost = np.full(n, OPEN_END)
    died = np.zeros(n, dtype=bool)
    for k, year in enumerate(window.fiscal_years):
        fy_start = window.fiscal_year_start(year)
        fy_end = window.fiscal_year_start(year + 1)
        last = k == window.years - 1
        age = age_on(birth, fy_end - 1)
        active = (lost == OPEN_END) & (people.start < fy_end) & (people.role != HEAD)
        anytime = fy_start + _days(rng.random(n) * 365)
        anytime = np.maximum(anytime, people.start + 1)
        u = rng.random(n)
        p_work = np.where(people.role == CHILD, np.select([age == 18, age == 20, age >= 22], [0.45, 0.1, 0.7], 0.0), 0.0)
        p_work = np.where(people.role == SPOUSE, 0.02, p_work)
        p_death = np.minimum(0.00025 * np.exp(0.085 * (age - 40)), 0.1)
        death = active & (u < p_death)
        work = active & ~death & (u < p_death + p_work) & ~(last & (people.role == CHILD))
        child_leaves_at_year_end = people.role == CHILD
        lost = np.where(death, anytime + 1, lost)
        lost = np.where(work, np.where(child_leaves_at_year_end, fy_end, anytime), lost)
        died |= death
    lost = np.where(lost >= window.end, OPEN_END, lost)
    return lost, died


def _given_names(reference: Reference, sex: np.ndarray, birth: np.ndarray, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    given = reference.names.given
    year, _, _ = ymd(birth)
    era = np.select([year <= 1975, year <= 1995], ["old", "mid"], "new")
    names = np.empty(len(sex), dtype=object)
    kana = np.empty(len(sex), dtype=object)
    for (s, e), group in given.groupby(["sex", "era"]):
        mask = (sex == int(s)) & (era == e)
        pick = rng.choice(len(group), size=int(mask.sum()), p=weights(group["weight"]))
        names[mask] = group["given"].to_numpy(dtype=object)[pick]
        kana[mask] = group["kana"].to_numpy(dtype=object)[pick]
    return names, kana


def _addresses(office_city: np.ndarray, reference: Reference, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Postal code, 住所1 and 住所2 per household: mostly in the city of the 所属所."""
    table = reference.addresses
    n = len(office_city)
    city = table["city"].to_numpy(dtype=object)
    aichi = np.flatnonzero(table["prefecture"].to_numpy(dtype=object) == "愛知県")
    pick = rng.integers(0, len(table), n)
    pick = np.where(rng.random(n) < 0.93, aichi[rng.integers(0, len(aichi), n)], pick)
    local = rng.random(n) < 0.75
    for name in np.unique(office_city):
        candidates = np.flatnonzero(city == name)
        mask = local & (office_city == name)
        if len(candidates):
            pick[mask] = candidates[rng.integers(0, len(candidates), int(mask.sum()))]
    rows = table.iloc[pick]
    chome = rows["has_chome"].to_numpy() == "1"
    c, b, g = rng.integers(1, 6, n), rng.integers(1, 31, n), rng.integers(1, 26, n)
    kanji_style = rng.random(n) < 0.4
    block = np.where(
        chome,
        np.where(kanji_style, pd.Series(c).astype(str) + "丁目" + pd.Series(b).astype(str) + "番"
                 + pd.Series(g).astype(str) + "号",
                 pd.Series(c).astype(str) + "-" + pd.Series(b).astype(str) + "-" + pd.Series(g).astype(str)),
        np.where(kanji_style, pd.Series(b * 37 % 2000 + 1).astype(str) + "番地",
                 pd.Series(b * 37 % 2000 + 1).astype(str) + "-" + pd.Series(g).astype(str)),
    )
    address1 = (rows["prefecture"] + rows["city"] + rows["town"]).to_numpy(dtype=object) + block
    stems = np.array(BUILDING_STEMS, dtype=object)[rng.integers(0, len(BUILDING_STEMS), n)]
    suffix = np.array(BUILDING_SUFFIXES, dtype=object)[rng.integers(0, len(BUILDING_SUFFIXES), n)]
    room = pd.Series(rng.integers(1, 6, n) * 100 + rng.integers(1, 12, n)).astype(str).to_numpy(dtype=object)
    address2 = np.where(rng.random(n) < ADDRESS2_SHARE, stems + suffix + "　" + room + "号室", None)
    return rows["postal_code"].to_numpy(dtype=object), address1, address2


def _assemble(people: _People, birth: np.ndarray, start: np.ndarray, end: np.ndarray, died: np.ndarray,
              voluntary_from: np.ndarray, head_of: np.ndarray, window: Window, reference: Reference,
              rng: np.random.Generator) -> Population:
    """Names, identifiers and addresses; then the roster rows (a second row for each 任意継続 period)."""
    n = len(birth)
    households, household_index = np.unique(people.household, return_inverse=True)
    n_households = len(households)
    is_head = people.role == HEAD

    offices = reference.offices
    office_of_household = rng.choice(len(offices), size=n_households, p=weights(offices["weight"]))
    office = office_of_household[household_index]

    surnames = reference.names.surnames
    surname_pick = rng.choice(len(surnames), size=n_households, p=weights(surnames["weight"]))
    forced = surnames.index[surnames["surname"].isin(HARD_SURNAMES)].to_numpy()
    surname_pick[: min(len(forced), n_households)] = forced[: n_households]
    person_surname = surname_pick[household_index]
    own_family = (people.role == PARENT) & (rng.random(n) < 0.4)
    person_surname = np.where(own_family, rng.choice(len(surnames), size=n, p=weights(surnames["weight"])),
                              person_surname)
    given, given_kana = _given_names(reference, people.sex, birth, rng)
    name = surnames["surname"].to_numpy(dtype=object)[person_surname] + "　" + given
    kana = surnames["kana"].to_numpy(dtype=object)[person_surname] + "　" + given_kana

    member_number = rng.permutation(n) + 1 + rng.integers(0, 5000)
    member_id = pd.Series(member_number).map("{:08d}".format).to_numpy(dtype=object)
    bango = rng.permutation(n_households) + 1 + rng.integers(1000, 3000)
    rank = np.arange(n) - np.searchsorted(people.household, people.household)
    edaban = pd.Series(rank).map("{:02d}".format).to_numpy(dtype=object)

    office_city = offices["city"].to_numpy(dtype=object)[office_of_household]
    postal, address1, address2 = _addresses(office_city, reference, rng)
    digits = rng.integers(0, 1000, n_households), rng.integers(0, 10000, n_households)
    phone = np.where(
        rng.random(n_households) < PHONE_SHARE,
        "0" + pd.Series(rng.choice([7, 8, 9], n_households)).astype(str).to_numpy(dtype=object) + "0-0"
        + pd.Series(digits[0]).map("{:03d}".format).to_numpy(dtype=object) + "-"
        + pd.Series(digits[1]).map("{:04d}".format).to_numpy(dtype=object),
        None,
    )
    no_mail = np.where(rng.random(n_households) < NO_MAIL_SHARE, 1, 2)[household_index]
    office_code = offices["office_code"].to_numpy(dtype=object)[office]
    office_name = offices["name"].to_numpy(dtype=object)[office]

    regular_end = np.minimum(voluntary_from, end)
    deceased = np.where(died, end - 1, np.datetime64("NaT"))
    base = {
        "member_id": member_id, "kigo": office_code, "bango": bango[household_index].astype(str).astype(object),
        "edaban": edaban, "name": name, "name_kana": kana, "sex": people.sex, "birth_date": birth,
        "relation": np.where(is_head, 1, 2), "insured_id": member_id[head_of],
        "shikaku_kubun": np.where(is_head, "1", "2").astype(object), "office": office_name,
        "postal_code": postal[household_index], "address1": address1[household_index],
        "address2": address2[household_index], "phone": np.where(is_head, phone[household_index], None),
        "acquired_date": start, "lost_date": regular_end, "no_mail": no_mail,
        "deceased_date": np.where(voluntary_from < end, np.datetime64("NaT"), deceased),
    }
    vol = np.flatnonzero(voluntary_from < end)
    vol_bango = (n_households + 5000 + np.searchsorted(np.unique(head_of[vol]), head_of[vol])).astype(str)
    extra = {key: value[vol] for key, value in base.items()}
    extra.update({
        "kigo": np.full(len(vol), "900", dtype=object), "bango": vol_bango.astype(object),
        "shikaku_kubun": np.where(is_head[vol], "3", "4").astype(object),
        "acquired_date": voluntary_from[vol], "lost_date": end[vol], "deceased_date": deceased[vol],
    })
    columns = {key: np.concatenate([base[key], extra[key]]) for key in base}
    for key in ("lost_date",):
        columns[key] = np.where(columns[key] == OPEN_END, np.datetime64("NaT"), columns[key])
    roster = typed_frame(MEMBERS, columns, len(columns["member_id"]))
    roster = roster.sort_values(["kigo", "bango", "edaban", "acquired_date"], kind="stable").reset_index(drop=True)
    return Population(
        member_id=member_id, sex=people.sex, birth=birth, relation=np.where(is_head, 1, 2).astype(np.int8),
        role=people.role, head=head_of, start=start, end=end, voluntary_from=voluntary_from,
        office=office, members=roster,
    )
