"""The common exclusions: 資格喪失, 死亡, 通知不要, 通知済み within K months, the program's own, the clerk's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pytest

from dhdesk.core.programs import Candidates, Parameter, Program, ProgramInputs, empty_candidates_frame
from dhdesk.core.programs.exclusions import CLERK_STEP, apply_manual, finish, review_funnel

AS_OF = date(2025, 10, 15)


@dataclass(frozen=True)
class FakeProgram(Program):
    """A program whose rule file lives in the test, not in resources."""

    @property
    def rules(self) -> dict:
        return {"id": self.id, "version": "test.1", "title": self.title}

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return (Parameter("recent_months", "再通知までの期間", 6, "か月"),)


def no_extract(inputs, fiscal_year, params):
    raise AssertionError("finish never calls extract")


PROGRAM = FakeProgram(id="fake", title="テスト事業", extract=no_extract)


def candidates_frame(ids, *, excluded_reasons=None):
    """Typed candidate rows for `ids` (reason 理由<id>, rank in order), with `exclusion_reason` if given."""
    if not ids:
        return empty_candidates_frame(excluded=excluded_reasons is not None)
    frame = pd.DataFrame({
        "member_id": pd.array(ids, dtype="string"),
        "tier": pd.array(["A"] * len(ids), dtype="string"),
        "rank": pd.array(range(1, len(ids) + 1), dtype="Int64"),
        "reason": pd.array([f"理由{i}" for i in ids], dtype="string"),
        "explanation": pd.Series([(f"説明{i}",) for i in ids], dtype=object),
        "values": pd.Series([{"n": i} for i in ids], dtype=object),
        "warnings": pd.Series([() for _ in ids], dtype=object),
    })
    if excluded_reasons is not None:
        frame["exclusion_reason"] = pd.array(excluded_reasons, dtype="string")
    return frame


def roster(*rows):
    """rows: dicts with member_id and any of acquired, lost, deceased, no_mail."""
    return pd.DataFrame({
        "member_id": pd.array([r["member_id"] for r in rows], dtype="string"),
        "acquired_date": pd.to_datetime([r.get("acquired", "2000-04-01") for r in rows]),
        "lost_date": pd.to_datetime([r.get("lost") for r in rows]),
        "deceased_date": pd.to_datetime([r.get("deceased") for r in rows]),
        "no_mail": pd.array([r.get("no_mail") for r in rows], dtype="Int8"),
    })


def history(*rows):
    """rows: (member_id, program, sent_date, batch_status)."""
    return pd.DataFrame({
        "member_id": pd.array([r[0] for r in rows], dtype="string"),
        "program": pd.array([r[1] for r in rows], dtype="string"),
        "sent_date": pd.to_datetime([r[2] for r in rows]),
        "batch_status": pd.array([r[3] for r in rows], dtype="string"),
    })


def inputs(members, sent=()):
    empty = pd.DataFrame()
    return ProgramInputs(members=members, checkups=empty, receipts=empty, diagnoses=empty, drug_lines=empty,
                         drug_masters=empty, history=history(*sent), as_of=AS_OF)


def run(ids, members, sent=(), params=None, own_excluded=()):
    excluded = candidates_frame([i for i, _ in own_excluded], excluded_reasons=[r for _, r in own_excluded])
    candidates = Candidates("40–74歳の健診受診者", 10, candidates_frame(ids), excluded, steps=(("健診あり", 8),))
    return finish(PROGRAM, candidates, inputs(members, sent), 2025, params or {"recent_months": 6})


def row(target_list, member_id):
    return target_list.targets.set_index("member_id").loc[member_id]


def test_lost_on_or_before_as_of_is_excluded_lost_after_is_kept():
    members = roster({"member_id": "a", "lost": "2025-10-14"}, {"member_id": "b", "lost": "2025-10-15"},
                     {"member_id": "c", "lost": "2025-10-16"})
    result = run(["a", "b", "c"], members)
    assert row(result, "a")["exclusion_reason"] == "資格喪失（喪失日 2025-10-14）"
    assert row(result, "b")["exclusion_reason"] == "資格喪失（喪失日 2025-10-15）"
    assert not row(result, "c")["excluded"]
    assert row(result, "a")["excluded_by"] == "rule"


def test_no_roster_row_or_a_period_not_yet_started_is_no_shikaku():
    members = roster({"member_id": "late", "acquired": "2025-10-16"})
    result = run(["ghost", "late"], members)
    assert row(result, "ghost")["exclusion_reason"] == "2025-10-15時点の資格が台帳にない"
    assert row(result, "late")["excluded"]


def test_a_later_period_in_force_outweighs_an_earlier_loss():
    members = roster({"member_id": "a", "acquired": "2010-04-01", "lost": "2020-04-01"},
                     {"member_id": "a", "acquired": "2021-04-01"})
    assert not row(run(["a"], members), "a")["excluded"]


def test_deceased_no_mail_and_order_of_checks():
    members = roster({"member_id": "d", "deceased": "2025-09-01"},
                     {"member_id": "dl", "deceased": "2025-09-01", "lost": "2025-09-02"},
                     {"member_id": "n", "no_mail": 1}, {"member_id": "m", "no_mail": 2})
    result = run(["d", "dl", "n", "m"], members)
    assert row(result, "d")["exclusion_reason"] == "死亡（2025-09-01）"
    assert row(result, "dl")["exclusion_reason"].startswith("資格喪失")
    assert row(result, "n")["exclusion_reason"] == "通知不要（台帳の指定）"
    assert not row(result, "m")["excluded"]


def test_no_mail_is_read_from_the_latest_period():
    members = roster({"member_id": "a", "acquired": "2010-04-01", "lost": "2020-04-01", "no_mail": 1},
                     {"member_id": "a", "acquired": "2021-04-01", "no_mail": 2})
    assert not row(run(["a"], members), "a")["excluded"]


@pytest.mark.parametrize(("sent", "excluded"), [("2025-04-14", False), ("2025-04-15", True), ("2025-04-16", True),
                                                ("2025-10-15", True), ("2025-10-16", False)])
def test_notified_within_recent_months_day_before_on_after(sent, excluded):
    members = roster({"member_id": "a"})
    result = run(["a"], members, sent=[("a", "fake", sent, "issued")])
    assert bool(row(result, "a")["excluded"]) is excluded
    if excluded:
        assert row(result, "a")["exclusion_reason"] == f"通知済み（{sent} 送付、6か月以内）"


def test_cancelled_notices_other_programs_and_recent_months_zero_do_not_exclude():
    members = roster({"member_id": "a"}, {"member_id": "b"}, {"member_id": "c"})
    sent = [("a", "fake", "2025-09-01", "cancelled"), ("b", "other", "2025-09-01", "issued"),
            ("c", "fake", "2025-09-01", "issued")]
    result = run(["a", "b", "c"], members, sent=sent)
    assert result.final["member_id"].tolist() == ["a", "b"]
    off = run(["a", "b", "c"], members, sent=sent, params={"recent_months": 0})
    assert off.final["member_id"].tolist() == ["a", "b", "c"]
    assert not any(label.startswith("通知済み") for label, _ in off.funnel)


def test_funnel_counts_each_step_and_program_exclusions_stay_visible():
    members = roster({"member_id": "a"}, {"member_id": "b", "lost": "2025-01-01"}, {"member_id": "c", "no_mail": 1},
                     {"member_id": "d"}, {"member_id": "x"})
    result = run(["a", "b", "c", "d"], members, sent=[("d", "fake", "2025-08-01", "issued")],
                 own_excluded=[("x", "健診後3か月以内に受診あり")])
    assert result.funnel == (("40–74歳の健診受診者", 10), ("健診あり", 8), ("基準に該当", 4), ("資格喪失を除外", 3),
                             ("死亡を除外", 3), ("通知不要を除外", 2), ("通知済み（6か月以内）を除外", 1), ("通知対象", 1))
    assert result.targets["member_id"].tolist() == ["a", "b", "c", "d", "x"]
    assert row(result, "x")["exclusion_reason"] == "健診後3か月以内に受診あり"
    assert row(result, "x")["excluded_by"] == "rule"
    assert result.final["member_id"].tolist() == ["a"]
    assert result.targets["voucher_number"].isna().all() and not result.targets["holdout"].any()
    assert (result.rule_version, result.as_of, result.params) == ("test.1", AS_OF, {"recent_months": 6})


def test_targets_follow_rank_and_keep_candidate_values():
    members = roster({"member_id": "a"}, {"member_id": "b"})
    frame = candidates_frame(["a", "b"])
    frame["rank"] = pd.array([2, 1], dtype="Int64")
    result = finish(PROGRAM, Candidates("全員", 2, frame, candidates_frame([], excluded_reasons=[])),
                    inputs(members), 2025, {"recent_months": 6})
    assert result.targets["member_id"].tolist() == ["b", "a"]
    assert row(result, "a")["explanation"] == ("説明a",) and row(result, "a")["values"] == {"n": "a"}


def test_a_member_both_targeted_and_set_aside_is_listed_once_as_a_target():
    members = roster({"member_id": "a"})
    result = run(["a"], members, own_excluded=[("a", "重複")])
    assert result.targets["member_id"].tolist() == ["a"] and not row(result, "a")["excluded"]


def test_apply_manual_marks_clerk_and_adds_a_review_step():
    members = roster({"member_id": "a"}, {"member_id": "b"})
    result = apply_manual(run(["a", "b"], members), {"b": "本人から辞退の連絡"})
    assert row(result, "b")["excluded_by"] == "clerk"
    assert row(result, "b")["exclusion_reason"] == "本人から辞退の連絡"
    assert result.funnel[-2:] == ((CLERK_STEP, 1), ("通知対象", 1))
    again = apply_manual(result, {})
    assert again.funnel == result.funnel


def test_review_funnel_is_idempotent_and_drops_the_step_when_nothing_was_changed():
    funnel = (("全員", 5), ("基準に該当", 3), ("通知対象", 3))
    reviewed = review_funnel(funnel, 2, True)
    assert reviewed == (("全員", 5), ("基準に該当", 3), (CLERK_STEP, 2), ("通知対象", 2))
    assert review_funnel(reviewed, 2, True) == reviewed
    assert review_funnel(reviewed, 3, False) == funnel

