"""Garbage collection runs on the GUI thread while the window is open, never on the task runner's worker."""

from __future__ import annotations

import gc

from dhdesk.gui.collector import GuiThreadCollector


def test_automatic_collection_is_off_while_the_window_is_open_and_back_after(window):
    assert not gc.isenabled()
    window.close()
    assert gc.isenabled()


def test_a_due_generation_is_collected_from_the_event_loop(qtbot):
    collector = GuiThreadCollector()
    try:
        gc.collect()
        assert collector.collect_if_due() == -1
        garbage = [[] for _ in range(gc.get_threshold()[0] + 10)]
        assert collector.collect_if_due() == 0
        del garbage
    finally:
        collector.stop()
    assert gc.isenabled()
