"""Settings: typed defaults, unknown keys refused, recent workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings

from dhdesk.gui.settings import MAX_RECENT, Settings, UnknownSettingError


def test_defaults_come_back_typed_when_nothing_is_stored():
    s = Settings()
    assert s.get("demo/members") == 3000
    assert s.get("workspace/last") == ""
    assert s.get("workspace/recent") == ()
    assert s.get("window/geometry") == QByteArray()


def test_values_survive_a_new_settings_object():
    Settings().set("browse/row_limit", 500)
    Settings().set("window/state", QByteArray(b"\x00\x01state"))
    again = Settings()
    assert again.get("browse/row_limit") == 500
    assert again.get("window/state") == QByteArray(b"\x00\x01state")


def test_unknown_keys_are_an_error():
    with pytest.raises(UnknownSettingError):
        Settings().get("ui/colour")
    with pytest.raises(UnknownSettingError):
        Settings().set("ui/colour", "red")


@pytest.mark.parametrize(("stored", "read"), [(99, 100), (100, 100), (101, 101), (300_000, 300_000), (300_001, 300_000)])
def test_integers_are_kept_inside_their_range(stored, read):
    s = Settings()
    s.set("demo/members", stored)
    assert s.get("demo/members") == read


def test_garbage_in_the_store_falls_back_to_the_default():
    QSettings().setValue("demo/members", "many")
    QSettings().setValue("workspace/recent", "{not json")
    s = Settings()
    assert s.get("demo/members") == 3000
    assert s.get("workspace/recent") == ()


def test_recent_workspaces_newest_first_without_duplicates_and_bounded(tmp_path):
    s = Settings()
    paths = [tmp_path / f"組合{i}.dhdesk" for i in range(MAX_RECENT + 2)]
    for p in paths:
        s.remember_workspace(p)
    s.remember_workspace(paths[3])
    recent = s.recent_workspaces()
    assert recent[0] == paths[3]
    assert len(recent) == MAX_RECENT
    assert len(set(recent)) == MAX_RECENT
    assert s.last_workspace() == paths[3]


def test_forgetting_the_last_workspace_clears_it(tmp_path):
    s = Settings()
    a, b = tmp_path / "a.dhdesk", tmp_path / "b.dhdesk"
    s.remember_workspace(a)
    s.remember_workspace(b)
    s.forget_workspace(b)
    assert s.recent_workspaces() == [a]
    assert s.last_workspace() is None
    assert Settings().recent_workspaces() == [Path(a)]
