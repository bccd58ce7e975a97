"""Our 保健指導レベル / メタボ判定 beside the clinic's codes from the 特定健診 XML."""

from __future__ import annotations

import pandas as pd

from dhdesk.core.rules.clinic_comparison import clinic_differences


def _frames(clinic_level, clinic_metabo, level, metabo):
    checkups = pd.DataFrame({
        "clinic_level": pd.array(clinic_level, dtype="string"),
        "clinic_metabo": pd.array(clinic_metabo, dtype="string"),
    })
    judged = pd.DataFrame({"level": pd.Categorical(level), "metabo": pd.Categorical(metabo)})
    return checkups, judged


def test_agreement_missing_codes_and_out_of_scope_rows_are_blank():
    checkups, judged = _frames(["1", None, "3"], ["2", None, "1"], ["積極的支援", "情報提供", "対象外"],
                               ["予備群該当", "非該当", "基準該当"])
    assert clinic_differences(checkups, judged).tolist() == ["", "", ""]


def test_each_difference_names_both_judgements():
    checkups, judged = _frames(["2", "3"], ["3", "1"], ["積極的支援", "情報提供"], ["非該当", "予備群該当"])
    assert clinic_differences(checkups, judged).tolist() == [
        "保健指導レベル: 健診機関 動機付け支援 ≠ dhdesk 積極的支援",
        "メタボ判定: 健診機関 基準該当 ≠ dhdesk 予備群該当",
    ]


def test_both_differences_are_joined():
    checkups, judged = _frames(["4"], ["4"], ["情報提供"], ["非該当"])
    assert clinic_differences(checkups, judged).iloc[0] == (
        "保健指導レベル: 健診機関 判定不能 ≠ dhdesk 情報提供; メタボ判定: 健診機関 判定不能 ≠ dhdesk 非該当"
    )


def test_a_file_without_clinic_columns_has_no_differences():
    judged = pd.DataFrame({"level": ["積極的支援"], "metabo": ["非該当"]})
    assert clinic_differences(pd.DataFrame(index=[0]), judged).tolist() == [""]
