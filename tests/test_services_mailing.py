"""Mailing use case: a batch from an approved list (files, order, record), refusals, cancel, reprint, templates."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from dhdesk.core.fields import MEMBERS, pandas_dtype
from dhdesk.core.letters import TemplateError, default_template
from dhdesk.core.programs import TargetList
from dhdesk.core.progress import Cancelled
from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.services import mailing, programs
from dhdesk.store.workspace import Workspace

UNION = UnionInfo("テスト共済組合", "31130001", UnionType.MUTUAL_AID, "460-0001", "愛知県名古屋市中区三の丸1-1",
                  "052-000-0000", "保健事業課")
ITEM = {"label": "収縮期血圧", "value": 168.0, "unit": "mmHg", "criterion": "160mmHg以上", "tier": "①すぐに受診"}


def roster(rows: list[tuple]) -> pd.DataFrame:
    """(member_id, name, relation, office, postal_code, address1) rows as a typed MEMBERS frame."""
    frame = pd.DataFrame(rows, columns=["member_id", "name", "relation", "office", "postal_code", "address1"])
    frame["sex"], frame["birth_date"] = 1, pd.Timestamp("1970-05-01")
    frame["acquired_date"] = pd.Timestamp("2000-04-01")
    for name in frame.columns:
        dtype = pandas_dtype(MEMBERS.field(name))
        frame[name] = frame[name] if dtype.startswith("datetime") else frame[name].astype(dtype)
    return frame


ROSTER = [
    ("00000001", "山田　太郎", 1, "本庁", "491-0066", "愛知県一宮市三丹町1-2"),
    ("00000002", "鈴木　花子", 2, "本庁", "100-0001", "東京都千代田区千代田1-1"),
    ("00000003", "佐藤　次郎", 1, "北支所", "460-0001", "愛知県名古屋市中区三の丸2-2"),
    ("00000004", "高橋　一郎", 1, None, "060-0001", "北海道札幌市中央区北一条西1-1"),
    ("00000005", "伊藤　三郎", 1, "本庁", "491-0066", "愛知県一宮市三丹町5"),
]


def approved_run(workspace: Workspace, member_ids: list[str], *, excluded: tuple[str, ...] = (),
                 holdout_share: float = 0.0, approve: bool = True) -> int:
    """Save a jushin list naming `member_ids` (values: one exceeded item each) and approve it (seeded holdout)."""
    n = len(member_ids)
    targets = pd.DataFrame({
        "member_id": pd.array(member_ids, dtype="string"),
        "tier": pd.array(["①すぐに受診" if i % 2 == 0 else "②受診勧奨" for i in range(n)], dtype="string"),
        "rank": pd.array(range(1, n + 1), dtype="Int64"), "reason": pd.array(["収縮期血圧"] * n, dtype="string"),
        "explanation": pd.Series([()] * n, dtype=object),
        "values": pd.Series([{"exam_date": "2025-06-10", "window_months": 3,
                              "items": [{**ITEM, "value": 160.0 + i}]} for i in range(n)], dtype=object),
        "warnings": pd.Series([()] * n, dtype=object),
        "excluded": [m in excluded for m in member_ids],
        "exclusion_reason": pd.array(["本人から辞退" if m in excluded else pd.NA for m in member_ids], dtype="string"),
        "excluded_by": pd.array(["clerk" if m in excluded else pd.NA for m in member_ids], dtype="string"),
        "voucher_number": pd.array([pd.NA] * n, dtype="string"),
        "holdout": False,
    })
    run_id = workspace.save_run(TargetList("jushin", 2025, None, "2024.1", {"window_months": 3}, targets,
                                           (("通知対象", n - len(excluded)),), as_of=date(2026, 3, 31)))
    if approve:
        workspace.approve_run(run_id, holdout_share, seed=1)
    return run_id


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace.create(tmp_path / "union.dhdesk", UNION)
    ws.import_batch("members", "members.csv", "m", {"members": roster(ROSTER)})
    yield ws
    ws.close()


def pages(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def list_rows(path) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)["発送リスト"].iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "郵便番号")
    return [dict(zip(rows[header_at], row, strict=True)) for row in rows[header_at + 1:]]


# -- order and routes ------------------------------------------------------------------------------


def test_mixed_route_sends_the_insured_via_their_office_and_dependants_home(workspace):
    members = roster(ROSTER)
    targets = pd.DataFrame({"member_id": pd.array(["00000005", "00000002", "00000004", "00000003", "00000001"],
                                                  dtype="string")})
    order, routes = mailing.mailing_order(targets, members, "mixed")
    assert order == ["00000003", "00000005", "00000001", "00000004", "00000002"]  # 北支所, 本庁 (list order); home
    assert routes == {"00000003": "office", "00000005": "office", "00000001": "office",
                      "00000004": "home", "00000002": "home"}  # 00000004 has no 所属所: home
    order, routes = mailing.mailing_order(targets, members, "home")
    assert order == ["00000004", "00000002", "00000003", "00000005", "00000001"]  # by postal code, ties in list order
    assert set(routes.values()) == {"home"}
    order, routes = mailing.mailing_order(targets, members, "office")
    assert routes["00000002"] == "office" and routes["00000004"] == "home"
    with pytest.raises(mailing.MailingRefused, match="送付方法「post」"):
        mailing.mailing_order(targets, members, "post")


def test_route_setting_defaults_to_mixed_and_is_kept_per_program(workspace):
    assert mailing.route_for(workspace, "jushin") == "mixed"
    mailing.set_route(workspace, "jushin", "home")
    assert mailing.route_for(workspace, "jushin") == "home" and mailing.route_for(workspace, "generic") == "mixed"
    with pytest.raises(mailing.MailingRefused):
        mailing.set_route(workspace, "jushin", "fax")


# -- a batch ---------------------------------------------------------------------------------------


def test_a_batch_writes_four_files_in_one_order_and_records_every_letter(workspace, tmp_path):
    run_id = approved_run(workspace, ["00000001", "00000002", "00000003", "00000004", "00000005"],
                          excluded=("00000005",), holdout_share=0.25)
    targets = workspace.run(run_id).targets
    assert targets.loc[targets["holdout"], "member_id"].tolist() == ["00000002"]  # drawn with seed 1
    seen = []
    result = mailing.generate_batch(workspace, run_id, tmp_path / "out", sent_date=date(2026, 12, 1),
                                    progress=lambda f, m: seen.append(f))
    stem = f"2025_jushin_{result.batch_id}"
    assert [p.name for p in result.files] == [f"{stem}_letters.pdf", f"{stem}_labels.pdf", f"{stem}_list.xlsx",
                                              f"{stem}_summary.xlsx"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in result.files)
    assert seen == sorted(seen) and seen[-1] < 1.0  # nothing is reported after the batch is recorded

    order = ["00000003", "00000001", "00000004"]  # 北支所, 本庁, then home (no 所属所); excluded and holdout left out
    texts = pages(result.files[0])
    assert len(texts) == 3
    for text, member_id in zip(texts, order, strict=True):
        assert f"加入者番号 {member_id}" in text and "親展" in text and "令和8年12月1日" in text
    assert "山田　太郎　様" in texts[1] and "収縮期血圧" in texts[1] and "160 mmHg" in texts[1]
    labels = pages(result.files[1])[0]
    assert labels.index("佐藤　次郎") < labels.index("山田　太郎") < labels.index("高橋　一郎")
    assert "鈴木" not in labels and "伊藤" not in labels
    rows = list_rows(result.files[2])
    assert [row["加入者番号"] for row in rows] == order
    assert [row["送付方法"] for row in rows] == ["所属所経由", "所属所経由", "自宅直送"]
    assert rows[1]["郵便番号"] == "〒491-0066" and rows[1]["宛名"] == "山田　太郎　様"

    summary = openpyxl.load_workbook(result.files[3])
    overview = dict(row[:2] for row in summary["概要"].iter_rows(min_row=4, values_only=True))
    assert overview["発送番号"] == str(result.batch_id) and overview["通知数"] == "3通"
    assert overview["ルールの版"] == "jushin 2024.1" and overview["送付方法"] == "組合員は所属所経由・被扶養者は自宅直送"
    counts = list(summary["区分・送付方法別"].iter_rows(min_row=3, values_only=True))
    assert counts[0] == ("区分", "所属所経由", "自宅直送", "計")
    assert counts[1:] == [("①すぐに受診", 2, 0, 2), ("②受診勧奨", 0, 1, 1), ("計", 2, 1, 3)]

    row, notices = workspace.notice_batch(result.batch_id)
    assert row["route"] == "mixed" and row["template"]["program"] == "jushin"
    assert row["params"]["window"]["left"] == 23.0 and row["params"]["label_sheet"]["name"] == "A4 12面"
    assert notices["member_id"].tolist() == order and notices["route"].tolist() == ["office", "office", "home"]
    assert notices["tier"].tolist() == ["①すぐに受診", "①すぐに受診", "②受診勧奨"]
    assert (notices["sent_date"] == pd.Timestamp("2026-12-01")).all()
    for content, sha in zip(notices["content"], notices["letter_sha256"], strict=True):
        assert sha == mailing.letter_sha256(content) and len(sha) == 64


@pytest.mark.slow
def test_end_to_end_from_the_received_files_to_the_letters(tmp_path_factory, tmp_path):
    """Demo union (files written and imported as an office gets them) → jushin → approve → batch → PDF text."""
    from dhdesk.services import demo

    path = demo.build_demo(tmp_path_factory.mktemp("demo"), members=300, seed=20241).workspace_path
    with Workspace.open(path) as ws:
        run_id, target_list = programs.run_program(ws, "jushin", 2025)
        programs.approve(ws, run_id)
        result = mailing.generate_batch(ws, run_id, tmp_path / "out", glyph_fallback=True)
        _, notices = ws.notice_batch(result.batch_id)
        members = ws.members(member_ids=notices["member_id"].tolist())
    assert len(notices) == len(target_list.final) > 10
    first = notices.iloc[0]
    name = members.loc[members["member_id"] == first["member_id"], "name"].iloc[-1]
    values = target_list.targets.set_index("member_id").loc[first["member_id"], "values"]
    item = values["items"][0]
    page_one = pages(result.files[0])[0]
    assert f"{name}　様" in page_one
    assert item["label"] in page_one and f"{item['value']:g} {item['unit']}" in page_one
    assert [row["加入者番号"] for row in list_rows(result.files[2])] == notices["member_id"].tolist()
    letter_starts = [text for text in pages(result.files[0]) if "親展" in text]
    assert [next(m for m in notices["member_id"] if f"加入者番号 {m}" in text) for text in letter_starts] \
        == notices["member_id"].tolist()


def test_refused_before_any_work_when_not_approved_or_already_printed(workspace, tmp_path):
    draft = approved_run(workspace, ["00000001"], approve=False)
    with pytest.raises(mailing.MailingRefused, match="承認されていません"):
        mailing.generate_batch(workspace, draft, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    run_id = approved_run(workspace, ["00000001", "00000002"])
    first = mailing.generate_batch(workspace, run_id, tmp_path / "first")
    with pytest.raises(mailing.MailingRefused, match=f"発送記録 {first.batch_id} で印刷済み"):
        mailing.generate_batch(workspace, run_id, tmp_path / "second")
    mailing.cancel(workspace, first.batch_id, "宛名の誤りのため作り直し")
    again = mailing.generate_batch(workspace, run_id, tmp_path / "second")
    assert again.batch_id != first.batch_id
    nobody = approved_run(workspace, ["00000001"], excluded=("00000001",))
    with pytest.raises(mailing.MailingRefused, match="通知を送る人がいません"):
        mailing.generate_batch(workspace, nobody, tmp_path / "third")


@pytest.mark.parametrize("stage", ["通知文を作成", "宛名ラベル", "発送リスト", "発送記録を保存"])
def test_cancel_records_nothing_and_leaves_no_file(workspace, tmp_path, stage):
    run_id = approved_run(workspace, ["00000001", "00000002", "00000003"])

    def progress(fraction, message):
        if message.startswith(stage):
            raise Cancelled()

    with pytest.raises(Cancelled):
        mailing.generate_batch(workspace, run_id, tmp_path / "out", progress=progress)
    assert list((tmp_path / "out").iterdir()) == []
    assert workspace.notice_batches().empty


def test_unprintable_names_refuse_the_batch_unless_the_clerk_accepts_the_substitute(workspace, tmp_path):
    workspace.import_batch("members", "members2.csv", "m2", {"members": roster(
        [("00000009", "𠮷田　花子", 2, None, "491-0066", "愛知県一宮市三丹町7")])})
    run_id = approved_run(workspace, ["00000001", "00000009"])
    with pytest.raises(mailing.UnprintableCharacters, match="00000009（𠮷）") as refused:
        mailing.generate_batch(workspace, run_id, tmp_path / "out")
    assert refused.value.members == {"00000009": {"𠮷"}}
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    result = mailing.generate_batch(workspace, run_id, tmp_path / "out", glyph_fallback=True)
    assert result.warnings == ("00000009: 𠮷 を「〓」に置き換えて印刷しました。",)
    assert "〓田　花子　様" in pages(result.files[0])[1]
    _, notices = workspace.notice_batch(result.batch_id)
    assert notices["content"].iloc[1]["address"]["name"] == "〓田　花子　様"
    replaced = list(openpyxl.load_workbook(result.files[3])["文字の置き換え"].iter_rows(min_row=4, values_only=True))
    assert replaced == [("00000009", "𠮷")]


# -- reprint, cancel, history ----------------------------------------------------------------------


def test_reprint_gives_the_recorded_letters_exactly(workspace, tmp_path):
    run_id = approved_run(workspace, ["00000001", "00000002", "00000003"])
    result = mailing.generate_batch(workspace, run_id, tmp_path / "out", sent_date=date(2026, 12, 1))
    _, recorded = workspace.notice_batch(result.batch_id)
    saved = default_template("jushin")
    mailing.save_template(workspace, type(saved).from_dict({**saved.to_dict(), "title": "新しい件名"}))
    workspace.import_batch("members", "moved.csv", "mv", {"members": roster(
        [("00000001", "山田　太郎", 1, "本庁", "100-0001", "東京都千代田区千代田9-9")])})

    letters, labels = mailing.reprint(workspace, result.batch_id, tmp_path / "re")
    assert letters.read_bytes() == result.files[0].read_bytes()  # not today's template nor today's address
    assert labels.read_bytes() == result.files[1].read_bytes()
    for content, sha in zip(recorded["content"], recorded["letter_sha256"], strict=True):
        reprinted = mailing.letter_from_content(content)
        assert mailing.letter_sha256(mailing.letter_content(reprinted)) == sha

    [one] = mailing.reprint(workspace, result.batch_id, tmp_path / "re", member_id="00000002")
    assert one.name == f"2025_jushin_{result.batch_id}_reprint_00000002_letters.pdf"
    assert [("鈴木　花子　様" in text) for text in pages(one)] == [True]
    with pytest.raises(mailing.MailingRefused, match="00000004 への通知はありません"):
        mailing.reprint(workspace, result.batch_id, tmp_path / "re", member_id="00000004")


def test_reprint_refuses_a_letter_that_no_longer_matches_its_hash(workspace, tmp_path):
    run_id = approved_run(workspace, ["00000001"])
    result = mailing.generate_batch(workspace, run_id, tmp_path / "out")
    workspace._db.execute("UPDATE notices SET content = replace(content, '山田', '山本') WHERE batch_id = ?",
                          [result.batch_id])
    with pytest.raises(mailing.MailingRefused, match="記録と一致しません"):
        mailing.reprint(workspace, result.batch_id, tmp_path / "re")
    assert list((tmp_path / "re").iterdir()) == []


def test_history_in_japanese_with_cancellations(workspace, tmp_path):
    run_id = approved_run(workspace, ["00000001", "00000002"])
    result = mailing.generate_batch(workspace, run_id, tmp_path / "out")
    with pytest.raises(mailing.MailingRefused, match="理由"):
        mailing.cancel(workspace, result.batch_id, "  ")
    mailing.cancel(workspace, result.batch_id, "封入前に誤りが見つかった")
    table = mailing.history(workspace)
    assert list(table.columns) == list(mailing.HISTORY_COLUMNS)
    row = table.iloc[0]
    assert row["発送番号"] == result.batch_id and row["事業"] == "受診勧奨" and row["通知数"] == 2
    assert row["自宅直送"] == 1 and row["所属所経由"] == 1 and row["送付方法"] == "組合員は所属所経由・被扶養者は自宅直送"
    assert row["状態"] == "取消" and row["取消理由"] == "封入前に誤りが見つかった"
    assert mailing.history(workspace, "generic").empty


# -- templates and preview -------------------------------------------------------------------------


def test_templates_are_kept_in_the_workspace_and_checked(workspace):
    assert mailing.template_for(workspace, "jushin") == default_template("jushin")
    edited = type(default_template("jushin")).from_dict({**default_template("jushin").to_dict(),
                                                         "title": "{氏名}様へ 受診のおすすめ"})
    mailing.save_template(workspace, edited)
    assert mailing.template_for(workspace, "jushin").title == "{氏名}様へ 受診のおすすめ"
    broken = type(edited).from_dict({**edited.to_dict(), "paragraphs": ["{血圧}です"]})
    with pytest.raises(TemplateError, match=r"差し込み項目「\{血圧\}」は使えません。使える項目: \{氏名\}"):
        mailing.save_template(workspace, broken)
    assert mailing.template_for(workspace, "jushin") == edited
    assert mailing.reset_template(workspace, "jushin") == default_template("jushin")
    assert mailing.template_for(workspace, "jushin") == default_template("jushin")


def test_preview_shows_the_first_letters_with_an_unsaved_template_even_on_a_draft(workspace):
    run_id = approved_run(workspace, ["00000001", "00000002", "00000003", "00000005"], approve=False)
    trial = type(default_template("jushin")).from_dict({**default_template("jushin").to_dict(), "title": "試しの件名"})
    letters, pdf = mailing.preview(workspace, run_id, count=2, template=trial)
    assert [letter.member_id for letter in letters] == ["00000003", "00000001"]
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(texts) == 2 and all("試しの件名" in text for text in texts)
    assert mailing.template_for(workspace, "jushin") == default_template("jushin")


def test_preview_is_dated_as_the_batch_will_be(workspace):
    run_id = approved_run(workspace, ["00000001"], approve=False)
    letters, _ = mailing.preview(workspace, run_id, count=1, sent_date=date(2026, 12, 1))
    assert letters[0].date == "令和8年12月1日"


# -- parts -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_big_batches_are_written_in_parts_by_worker_processes_in_list_order(workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(mailing, "PART_SIZE", 2)
    run_id = approved_run(workspace, ["00000001", "00000002", "00000003", "00000005"])

    def cancel_after_a_part(fraction, message):
        if "2/4通" in message:
            raise Cancelled()

    with pytest.raises(Cancelled):
        mailing.generate_batch(workspace, run_id, tmp_path / "out", route="home", progress=cancel_after_a_part)
    assert list((tmp_path / "out").iterdir()) == [] and workspace.notice_batches().empty
    result = mailing.generate_batch(workspace, run_id, tmp_path / "out", route="home")
    stem = f"2025_jushin_{result.batch_id}"
    assert [p.name for p in result.files[:2]] == [f"{stem}_letters_part01.pdf", f"{stem}_letters_part02.pdf"]
    printed = [text for part in result.files[:2] for text in pages(part)]
    _, notices = workspace.notice_batch(result.batch_id)
    assert [next(m for m in notices["member_id"] if f"加入者番号 {m}" in text) for text in printed] \
        == notices["member_id"].tolist() == ["00000002", "00000003", "00000001", "00000005"]
    reprinted = mailing.reprint(workspace, result.batch_id, tmp_path / "re")
    assert [p.read_bytes() for p in reprinted[:2]] == [p.read_bytes() for p in result.files[:2]]


def test_unprintable_names_in_several_parts_are_all_named_and_nothing_is_kept(workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(mailing, "PART_SIZE", 1)
    workspace.import_batch("members", "members2.csv", "m2", {"members": roster(
        [("00000008", "髙橋　一郎", 1, None, "491-0066", "愛知県一宮市三丹町7"),
         ("00000009", "𠮷田　花子", 2, None, "491-0067", "愛知県一宮市三ツ井8"),
         ("00000010", "𠮷川　愛子", 2, None, "491-0068", "愛知県一宮市九品町9")])})
    run_id = approved_run(workspace, ["00000001", "00000009", "00000008", "00000010"])
    rendered = []
    monkeypatch.setattr(mailing, "write_letters", lambda *args, **kwargs: rendered.append(args))
    with pytest.raises(mailing.UnprintableCharacters) as refused:
        mailing.generate_batch(workspace, run_id, tmp_path / "out", route="home")
    assert rendered == []  # the roster told before any part was rendered
    assert refused.value.members == {"00000009": {"𠮷"}, "00000010": {"𠮷"}}
    assert list((tmp_path / "out").iterdir()) == [] and workspace.notice_batches().empty


def test_an_unprintable_name_in_a_past_membership_row_does_not_stop_the_batch(workspace, tmp_path):
    rows = roster([("00000009", "𠮷田　花子", 2, None, "491-0066", "愛知県一宮市三丹町7"),
                   ("00000009", "吉田　花子", 2, None, "491-0066", "愛知県一宮市三丹町7")])
    rows["acquired_date"] = pd.to_datetime(["1990-04-01", "2000-04-01"]).astype(rows["acquired_date"].dtype)
    rows["lost_date"] = pd.to_datetime(["2000-03-31", None]).astype("datetime64[ns]")
    workspace.import_batch("members", "members2.csv", "m2", {"members": rows})
    run_id = approved_run(workspace, ["00000001", "00000009"])
    result = mailing.generate_batch(workspace, run_id, tmp_path / "out")
    assert result.warnings == () and "吉田　花子　様" in pages(result.files[0])[1]


def test_letter_content_survives_storage_with_the_same_hash(workspace):
    run_id = approved_run(workspace, ["00000001"])
    [letter], _ = mailing.preview(workspace, run_id, count=1)
    content = mailing.letter_content(letter)
    stored = json.loads(json.dumps(content, ensure_ascii=False))
    assert mailing.letter_from_content(stored) == letter == mailing.letter_from_content(content)
    assert mailing.letter_sha256(stored) == mailing.letter_sha256(content)
    changed = {**stored, "paragraphs": [*stored["paragraphs"][:-1], "違う文"]}
    assert mailing.letter_sha256(changed) != mailing.letter_sha256(stored)
