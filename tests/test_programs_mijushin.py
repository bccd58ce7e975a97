"""健診未受診 (被扶養者): age and relation at the boundaries, 3-year patterns and their order."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.programs import Program, ProgramInputs
from dhdesk.core.programs.mijushin import extract, pattern_of
from dhdesk.core.synthetic import generate_union
from program_rows import history, members, person, program_inputs
from typed_rows import checkups

FY = 2024
PARAMS = Program("mijushin", "健診未受診", extract).resolve()
OTHER = person("zz", exam_date="2022-06-01"), person("zz", exam_date="2023-06-01"), person("zz", exam_date="2024-06-01")
"""Someone else's checkups: every year has data, so every year can count."""


def run(roster, exams: list[dict] = (), **params):
    return extract(program_inputs(roster, checkups(*OTHER, *exams)), FY, PARAMS | params)


@pytest.mark.parametrize(("birth", "target"), [("1985-04-01", False), ("1985-03-31", True), ("1950-04-01", True),
                                               ("1950-03-31", False)])
def test_age_at_the_fiscal_year_end_from_40_to_74(birth, target):
    # 年度末 2025-03-31: born 1985-03-31 → 40, 1985-04-01 → 39; 1950-04-01 → 74, 1950-03-31 → 75
    result = run(members(["d"], relation=[2], birth_date=[birth]))
    assert list(result.targets["member_id"]) == (["d"] if target else [])


def test_only_dependants_without_a_checkup_this_year():
    roster = members(["self", "dep", "seen"], relation=[1, 2, 2])
    result = run(roster, [person("seen", exam_date="2025-03-31")])
    assert list(result.targets["member_id"]) == ["dep"]
    assert result.eligible == 2 and result.steps == (("2024年度の健診結果なし", 1),)


@pytest.mark.parametrize(("history", "key"), [([], "first_year"), ([False], "never_two"), ([True], "last_year"),
                                              ([False, False], "three_years"), ([True, False], "two_years"),
                                              ([False, True], "last_year")])
def test_pattern_of_the_counted_years(history, key):
    assert pattern_of(history) == key


def test_patterns_rank_never_attended_first_then_older_first():
    roster = members(["three", "two", "new", "came", "old3"], relation=[2] * 5,
                     birth_date=["1970-01-01", "1984-01-01", "1984-06-01", "1970-01-01", "1960-01-01"])
    result = run(roster, [person("came", exam_date="2023-07-01")])
    assert list(result.targets["member_id"]) == ["old3", "three", "two", "new", "came"]
    assert list(result.targets["tier"]) == ["3年連続未受診", "3年連続未受診", "2年連続未受診（受診歴なし）",
                                            "今年度から対象（未受診）", "前年は受診"]
    assert result.targets["reason"].iloc[0] == "65歳・3年連続未受診"
    values = result.targets.set_index("member_id").loc["came", "values"]
    assert values == {"pattern": "前年は受診", "years": [{"fiscal_year": 2022, "attended": False},
                                                      {"fiscal_year": 2023, "attended": True},
                                                      {"fiscal_year": 2024, "attended": False}]}


def test_years_below_40_or_without_data_do_not_count():
    roster = members(["new"], relation=[2], birth_date=["1985-01-01"])  # 40 at FY2024 end, 39 at FY2023 end
    result = run(roster)
    assert result.targets["tier"].iloc[0] == "今年度から対象（未受診）"
    bare = extract(program_inputs(members(["d"], relation=[2]), checkups(person("zz", exam_date="2024-06-01"))),
                   FY, PARAMS)
    assert bare.targets["values"].iloc[0]["years"] == [{"fiscal_year": 2024, "attended": False}]
    assert "2022年度・2023年度は健診結果が1件も取り込まれていない" in bare.targets["explanation"].iloc[0][-1]


def test_age_limits_are_read_from_params():
    roster = members(["d"], relation=[2], birth_date=["1990-01-01"])
    assert run(roster).targets.empty
    assert len(run(roster, age_from=35).targets) == 1


def test_plausible_on_the_demo_union():
    union = generate_union(3000, seed=5)
    inputs = ProgramInputs(union.members, union.checkups, union.receipts, union.diagnoses, union.drug_lines,
                           union.drug_master.assign(version_date=pd.Timestamp("2025-04-01")), history(),
                           date(2026, 3, 31))
    result = extract(inputs, 2025, PARAMS)
    share = len(result.targets) / result.eligible  # seed 004: 被扶養者の受診率 66.6%, 3年連続未受診 25.2%
    assert 0.2 < share < 0.7
    assert "3年連続未受診" in set(result.targets["tier"])
    assert all(len(v["years"]) <= 3 and not v["years"][-1]["attended"] for v in result.targets["values"])
    json.dumps([*result.targets["values"], *result.excluded["values"]])  # the store keeps them as JSON
