"""Issues: where a problem is, the text found there, and one line for the CLI."""

from __future__ import annotations

from dhdesk.core.issues import Issue, Severity, has_errors


def test_describe_names_file_row_column_and_the_value_found():
    issue = Issue("センター.csv", 12, "腹囲", "check.impossible", "腹囲はありえない値です", value="８５.５ｃｍ")
    assert issue.describe() == "[エラー] センター.csv 12行目 「腹囲」 値「８５.５ｃｍ」: 腹囲はありえない値です"


def test_describe_does_not_repeat_a_value_the_message_already_quotes():
    issue = Issue("a.UKE", 6, "SI 点数", "uke_bad_number", "「2x8」を数値として読めません", value="2x8")
    assert issue.describe() == "[エラー] a.UKE 6行目 「SI 点数」: 「2x8」を数値として読めません"


def test_an_issue_without_value_reads_as_before():
    issue = Issue("a.UKE", None, "GO", "uke_missing_go", "請求書レコード(GO)がありません", Severity.WARNING)
    assert issue.value is None
    assert issue.describe() == "[警告] a.UKE 「GO」: 請求書レコード(GO)がありません"
    assert not has_errors([issue]) and has_errors([issue, Issue("a.UKE", 1, None, "x", "y")])
